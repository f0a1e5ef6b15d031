// Test driver for ImapEngine: feeds byte scripts in any chunking through the proxy's session core
// (src/protocol/session-core.ts) with in-memory ports, answers bodies with a test scanner, and checks
// the engine's output contract as it goes.
import assert from 'node:assert/strict';
import { defaultEngineOptions, type BodyContext, type EngineOutput, type ProxyEvent } from '../../../src/protocol/engine.js';
import type { SessionServerActions } from '../../../src/protocol/session-ports.js';
import { ImapEngine, type ImapEngineOptions } from '../../../src/imap/engine.js';
import { inMemorySession, ScriptedScanner, type InMemorySession } from '../../helpers/in-memory-session.js';

export const MARKER = 'INBOXGUARD-TEST-MARKER';
export const SAME_LENGTH = 'X'.repeat(MARKER.length);

export type Scanner = (content: Buffer, context: BodyContext) => Buffer;

/** Replaces every marker with `replacement` (same length by default). */
export function markerScanner(replacement = SAME_LENGTH): Scanner {
  const marker = Buffer.from(MARKER, 'latin1');
  const repl = Buffer.from(replacement, 'latin1');
  return (content) => {
    if (content.indexOf(marker) < 0) return content;
    const parts: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const at = content.indexOf(marker, pos);
      if (at < 0) break;
      parts.push(content.subarray(pos, at), repl);
      pos = at + marker.length;
    }
    parts.push(content.subarray(pos));
    return Buffer.concat(parts);
  };
}

export const passThroughScanner: Scanner = (content) => content;

export interface BodyRecord {
  id: number;
  context: BodyContext;
  declaredSize: number | undefined;
  chunks: Buffer[];
  ended: boolean;
  final?: Buffer;
  released: boolean;
  /** A copy another session kept (bodyAdopt), not fetched by this one. */
  adopted?: boolean;
}

export type Step = { from: 'client' | 'server'; data: Buffer };
export type Chunker = (data: Buffer) => Buffer[];

export const whole: Chunker = (data) => [data];
export const bytewise: Chunker = (data) => Array.from({ length: data.length }, (_, i) => data.subarray(i, i + 1));

/** Deterministic pseudo-random splits. */
export function randomSplits(seed: number, maxPiece = 17): Chunker {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  return (data) => {
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < data.length) {
      const n = 1 + (next() % maxPiece);
      out.push(data.subarray(pos, pos + n));
      pos += n;
    }
    return out;
  };
}

export interface DriverOptions {
  scanner?: Scanner;
  /** Answer bodies as soon as they end (default true). */
  autoScan?: boolean;
  engine?: Partial<ImapEngineOptions>;
  /** Remediations offered to the session once its user logs in. */
  serverActions?: SessionServerActions;
  /** Report bodies the scanner left unchanged as settled clean (BodyScanResult.clean), as the pipeline does for a clean scan. */
  cleanVerdicts?: boolean;
}

export class EngineDriver {
  readonly engine: ImapEngine;
  readonly events: ProxyEvent[] = [];
  readonly bodies = new Map<number, BodyRecord>();
  closed: string | undefined;
  /** Bodies the engine asked to settle by scan.onError (scanDeadline). */
  readonly deadlines: number[] = [];
  /** afterMs of every wakeUp request, in order. */
  readonly wakeUps: number[] = [];
  /** Names from clientId outputs. */
  readonly clientIds: string[] = [];
  /** Bytes of the messages the engine read for itself (serverActionData), by action id. */
  readonly actionData = new Map<number, Buffer[]>();
  /** The kind of every output, in order, for tests that check ordering. */
  readonly outputKinds: EngineOutput['kind'][] = [];
  private clientTaken = 0;
  private serverTaken = 0;
  private eventsTaken = 0;
  private readonly scanner: ScriptedScanner;
  private readonly session: InMemorySession;

  constructor(options: DriverOptions = {}) {
    this.engine = new ImapEngine({ ...defaultEngineOptions, ...options.engine });
    const scan = options.scanner ?? markerScanner();
    this.scanner = new ScriptedScanner((id, content, context) => {
      const body = this.bodies.get(id);
      assert.ok(body, `unknown body ${id}`);
      body.final = scan(content, context);
      if (!body.final.equals(content)) return { changed: true, content: body.final };
      return options.cleanVerdicts ? { changed: false, clean: true } : { changed: false };
    }, options.autoScan ?? true);
    this.session = inMemorySession({ engine: this.engine, scanner: this.scanner, observe: (output) => this.check(output), serverActions: options.serverActions });
  }

  /** Client-bound chunks as the session wrote them. */
  get clientOut(): Buffer[] {
    return this.session.client.chunks;
  }

  get serverOut(): Buffer[] {
    return this.session.server.chunks;
  }

  /** commitToServer outputs (deleting commands forwarded only after delivery), in order. */
  get commits(): string[] {
    return this.session.server.commits;
  }

  /** Bodies that ended and wait for scan(). */
  get awaitingScan(): number[] {
    return this.scanner.waiting;
  }

  server(data: Buffer | string, chunker: Chunker = whole): this {
    for (const piece of chunker(toBuffer(data))) this.run(() => this.session.core.fromServer(piece));
    return this;
  }

  client(data: Buffer | string, chunker: Chunker = whole): this {
    for (const piece of chunker(toBuffer(data))) this.run(() => this.session.core.fromClient(piece));
    return this;
  }

  /** Scans the bodies waiting for a verdict (in the given order, default oldest first). */
  scan(ids: number[] = [...this.awaitingScan]): this {
    for (const id of ids) {
      assert.ok(this.awaitingScan.includes(id), `body ${id} is not waiting for a scan`);
      this.run(() => this.scanner.answer(id));
    }
    return this;
  }

  passThrough(): this {
    return this.run(() => this.session.core.passThrough());
  }

  /** The session could not keep a body (its spool failed). */
  fail(id: number, reason: string): this {
    this.scanner.forget(id);
    return this.run(() => this.session.core.failBody(id, reason));
  }

  tick(now: number): this {
    return this.run(() => this.session.core.tick(now));
  }

  end(side: 'client' | 'server'): this {
    return this.run(() => this.session.core.inputEnded(side));
  }

  get clientBytes(): Buffer {
    return Buffer.concat(this.clientOut);
  }

  get serverBytes(): Buffer {
    return Buffer.concat(this.serverOut);
  }

  /** Client-bound text produced since the last call. */
  takeClient(): string {
    const text = this.clientText;
    const fresh = text.slice(this.clientTaken);
    this.clientTaken = text.length;
    return fresh;
  }

  /** Server-bound text produced since the last call. */
  takeServer(): string {
    const text = this.serverText;
    const fresh = text.slice(this.serverTaken);
    this.serverTaken = text.length;
    return fresh;
  }

  /** Events produced since the last call. */
  takeEvents(): ProxyEvent[] {
    const fresh = this.events.slice(this.eventsTaken);
    this.eventsTaken = this.events.length;
    return fresh;
  }

  /** Bodies in the order they began. */
  get bodyList(): BodyRecord[] {
    return [...this.bodies.values()];
  }

  get clientText(): string {
    return this.clientBytes.toString('latin1');
  }

  get serverText(): string {
    return this.serverBytes.toString('latin1');
  }

  /**
   * Everything observable, for comparing runs. Events are sorted: those that follow a verdict
   * (size changes) come when the test scanner answers, which depends on how the input was cut.
   */
  snapshot(): { client: string; server: string; events: ProxyEvent[]; bodies: Array<{ context: BodyContext; size: number | undefined; content: string }> } {
    return {
      client: this.clientBytes.toString('base64'),
      server: this.serverBytes.toString('base64'),
      events: [...this.events].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      bodies: [...this.bodies.values()].map((b) => ({
        context: b.context,
        size: b.declaredSize,
        content: Buffer.concat(b.chunks).toString('base64'),
      })),
    };
  }

  private run(step: () => void): this {
    step();
    this.session.rethrowFault();
    return this;
  }

  /** Records every output and checks the engine's output contract. */
  private check(out: EngineOutput): void {
    assert.equal(this.closed, undefined, `output ${out.kind} after close`);
    this.outputKinds.push(out.kind);
    switch (out.kind) {
      case 'scanDeadline':
        this.deadlines.push(out.bodyId);
        return;
      case 'wakeUp':
        this.wakeUps.push(out.afterMs);
        return;
      case 'clientId':
        this.clientIds.push(out.name);
        return;
      case 'serverActionData':
        this.actionData.set(out.action.id, [...(this.actionData.get(out.action.id) ?? []), Buffer.from(out.bytes)]);
        return;
      case 'bodyBegin':
        assert.ok(!this.bodies.has(out.bodyId), `body ${out.bodyId} began twice`);
        this.bodies.set(out.bodyId, { id: out.bodyId, context: { ...out.context }, declaredSize: out.size, chunks: [], ended: false, released: false });
        return;
      case 'bodyData': {
        const body = this.bodies.get(out.bodyId);
        assert.ok(body && !body.ended, `bodyData for ${out.bodyId} outside its body`);
        body.chunks.push(Buffer.from(out.bytes));
        return;
      }
      case 'bodyEnd': {
        const body = this.bodies.get(out.bodyId);
        assert.ok(body && !body.ended, `bodyEnd for ${out.bodyId} twice or unknown`);
        body.ended = true;
        if (out.context) Object.assign(body.context, out.context);
        if (body.declaredSize !== undefined) {
          assert.equal(Buffer.concat(body.chunks).length, body.declaredSize, `body ${out.bodyId} size differs from its literal`);
        }
        return;
      }
      case 'bodyToClient': {
        const body = this.bodies.get(out.bodyId);
        assert.ok(body?.final, `bodyToClient for ${out.bodyId} before its scan`);
        assert.ok(!body.released, `bodyToClient for released body ${out.bodyId}`);
        assert.equal(out.encoding, 'raw');
        const start = out.start ?? 0;
        const end = out.end ?? body.final.length;
        assert.ok(start >= 0 && end <= body.final.length && start <= end, `bad range ${start}-${end}`);
        return;
      }
      case 'bodyAdopt': {
        assert.ok(!this.bodies.has(out.bodyId), `body ${out.bodyId} adopted twice`);
        const content = out.copy.read(0, out.copy.size);
        assert.ok(Symbol.iterator in content, 'test stores hand out copies in memory');
        const final = Buffer.concat([...content]);
        this.bodies.set(out.bodyId, { id: out.bodyId, context: { protocol: 'imap', section: '' }, declaredSize: out.copy.size, chunks: [], ended: true, final, released: false, adopted: true });
        return;
      }
      case 'bodyShare': {
        const body = this.bodies.get(out.bodyId);
        assert.ok(body?.final && !body.released, `bodyShare for ${out.bodyId} before its scan or after its release`);
        return;
      }
      case 'bodyRelease': {
        const body = this.bodies.get(out.bodyId);
        assert.ok(body, `release of unknown body ${out.bodyId}`);
        assert.ok(!body.released, `body ${out.bodyId} released twice`);
        body.released = true;
        return;
      }
      case 'event':
        this.events.push(out.event);
        return;
      case 'close':
        this.closed = out.reason;
        return;
      case 'toClient':
      case 'toServer':
      case 'commitToServer':
        return;
    }
  }
}

export function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
}

/** Runs a whole script with one chunker and returns what was observed. */
export function runScript(steps: Step[], chunker: Chunker, options: DriverOptions = {}): EngineDriver {
  const driver = new EngineDriver(options);
  for (const step of steps) {
    if (step.from === 'client') driver.client(step.data, chunker);
    else driver.server(step.data, chunker);
  }
  return driver;
}

/**
 * A driver past greeting, LOGIN alice and SELECT INBOX (UIDVALIDITY 42), with the output so far
 * already taken.
 */
export function selectedSession(options: DriverOptions = {}, mailbox = 'INBOX', uidValidity = '42'): EngineDriver {
  const driver = new EngineDriver(options);
  driver.server('* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n');
  driver.client('a1 LOGIN alice secret\r\n');
  driver.server('a1 OK logged in\r\n');
  driver.client(`a2 SELECT ${mailbox}\r\n`);
  driver.server(`* 3 EXISTS\r\n* OK [UIDVALIDITY ${uidValidity}] UIDs valid\r\na2 OK [READ-WRITE] selected\r\n`);
  driver.takeClient();
  driver.takeServer();
  driver.takeEvents();
  return driver;
}

/** A small message with the marker in it. */
/** A message of `size` bytes with markers at the given offsets. */
export function bigMessage(size: number, markers: number[]): string {
  const head = 'Subject: big\r\n\r\n';
  let body = '';
  for (let i = 0; body.length < size - head.length; i++) body += `line ${i} lorem ipsum dolor\r\n`;
  let text = (head + body).slice(0, size);
  for (const at of markers) text = text.slice(0, at) + MARKER + text.slice(at + MARKER.length);
  return text;
}

export function markedMessage(extra = ''): string {
  return `From: a@example.org\r\nSubject: test\r\n\r\nbody ${MARKER} text${extra}\r\n`;
}

/** Script helper: alternating client/server text steps. */
export function script(...steps: Array<['C' | 'S', string | Buffer]>): Step[] {
  return steps.map(([from, data]) => ({ from: from === 'C' ? 'client' : 'server', data: toBuffer(data) }));
}
