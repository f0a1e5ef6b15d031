// Drives a Pop3Engine through the proxy's session core (src/protocol/session-core.ts) with in-memory
// ports: feeds byte scripts in chosen chunkings, answers bodyEnd with a test scanner, and checks the
// output contract as it goes. bodyToClient is materialized by the core with a DotStuffer, as in the proxy.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BodyContext, EngineOutput, ProxyEvent } from '../../../src/protocol/engine.js';
import { defaultEngineOptions } from '../../../src/protocol/engine.js';
import { DotStuffer } from '../../../src/pop3/dot-stuffing.js';
import { Pop3Engine, type Pop3EngineOptions } from '../../../src/pop3/engine.js';
import { inMemorySession, ScriptedScanner, type InMemorySession } from '../../helpers/in-memory-session.js';

export const MARKER = 'INBOXGUARD-TEST-MARKER';
const MARKER_BYTES = Buffer.from(MARKER, 'latin1');

/** Returns the replacement content, or undefined for clean content. */
export type TestScanner = (content: Buffer, context: BodyContext) => Buffer | undefined;

function replaceAll(content: Buffer, needle: Buffer, replacement: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let from = 0;
  for (let hit = content.indexOf(needle); hit !== -1; hit = content.indexOf(needle, from)) {
    parts.push(content.subarray(from, hit), replacement);
    from = hit + needle.length;
  }
  if (parts.length === 0) return undefined;
  parts.push(content.subarray(from));
  return Buffer.concat(parts);
}

/** Replaces the marker by as many X: the size does not change. */
export const sameLengthScanner: TestScanner = (content) =>
  replaceAll(content, MARKER_BYTES, Buffer.from('X'.repeat(MARKER.length), 'latin1'));

/** Replaces the marker by a longer notice that itself starts a line with "." when the marker did. */
export const longerScanner: TestScanner = (content) =>
  replaceAll(content, MARKER_BYTES, Buffer.from('[removed by inboxguard: test marker]', 'latin1'));

export const cleanScanner: TestScanner = () => undefined;

export type Splitter = (data: Buffer) => Buffer[];

export const whole: Splitter = (data) => [data];

export const byteByByte: Splitter = (data) => {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += 1) chunks.push(data.subarray(i, i + 1));
  return chunks;
};

/** Deterministic pseudo-random cuts (mulberry32), chunk sizes 1…maxChunk. */
export function randomSplits(seed: number, maxChunk = 64): Splitter {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (data) => {
    const chunks: Buffer[] = [];
    let at = 0;
    while (at < data.length) {
      const size = 1 + Math.floor(next() * maxChunk);
      chunks.push(data.subarray(at, at + size));
      at += size;
    }
    return chunks;
  };
}

export interface BodyRecord {
  bodyId: number;
  context: BodyContext;
  chunks: Buffer[];
  ended: boolean;
  replacement: Buffer | undefined;
  released: boolean;
  toClientCount: number;
}

export interface HarnessOptions {
  engine?: Partial<Pop3EngineOptions>;
  scanner?: TestScanner;
  /** When true, bodyEnd is not answered until scan(bodyId) is called. */
  manualScan?: boolean;
}

export class Harness {
  readonly engine: Pop3Engine;
  readonly events: ProxyEvent[] = [];
  readonly bodies = new Map<number, BodyRecord>();
  readonly closes: string[] = [];
  /** Bodies the engine asked to settle by scan.onError (scanDeadline). */
  readonly deadlines: number[] = [];
  /** afterMs of every wakeUp request, in order. */
  readonly wakeUps: number[] = [];
  /** Every output in order, for tests that check ordering. */
  readonly log: EngineOutput[] = [];
  private readonly scanner: ScriptedScanner;
  private readonly session: InMemorySession;

  constructor(options: HarnessOptions = {}) {
    this.engine = new Pop3Engine({ ...defaultEngineOptions, ...options.engine });
    const scan = options.scanner ?? sameLengthScanner;
    this.scanner = new ScriptedScanner((bodyId, content, context) => {
      const replacement = scan(content, context);
      return this.settled(bodyId, replacement);
    }, !(options.manualScan ?? false));
    this.session = inMemorySession({
      engine: this.engine,
      scanner: this.scanner,
      encoders: { 'pop3-dot-stuffed': () => new DotStuffer() },
      observe: (output) => this.check(output),
    });
  }

  get toClientChunks(): Buffer[] {
    return this.session.client.chunks;
  }

  get toServerChunks(): Buffer[] {
    return this.session.server.chunks;
  }

  /** commitToServer outputs (QUIT forwarded only after delivery), in order. */
  get commits(): string[] {
    return this.session.server.commits;
  }

  client(data: string | Buffer, split: Splitter = whole): this {
    for (const chunk of split(toBuffer(data))) this.run(() => this.session.core.fromClient(chunk));
    return this;
  }

  server(data: string | Buffer, split: Splitter = whole): this {
    for (const chunk of split(toBuffer(data))) this.run(() => this.session.core.fromServer(chunk));
    return this;
  }

  end(side: 'client' | 'server'): this {
    return this.run(() => this.session.core.inputEnded(side));
  }

  /** The session could not keep a body (its spool failed). */
  fail(bodyId: number, reason: string): this {
    this.scanner.forget(bodyId);
    return this.run(() => this.session.core.failBody(bodyId, reason));
  }

  tick(nowMs: number): this {
    return this.run(() => this.session.core.tick(nowMs));
  }

  /** Answers a body held with manualScan, with the scanner's verdict or an explicit replacement. */
  scan(bodyId: number, replacement?: Buffer): this {
    const body = this.bodies.get(bodyId);
    assert.ok(body?.ended, `body ${bodyId} is not waiting for a scan`);
    return this.run(() => this.scanner.answer(bodyId, replacement === undefined ? undefined : this.settled(bodyId, replacement)));
  }

  get toClient(): Buffer {
    return Buffer.concat(this.toClientChunks);
  }

  get toServer(): Buffer {
    return Buffer.concat(this.toServerChunks);
  }

  get clientText(): string {
    return this.toClient.toString('latin1');
  }

  get serverText(): string {
    return this.toServer.toString('latin1');
  }

  content(bodyId: number): Buffer {
    const body = this.bodies.get(bodyId);
    assert.ok(body, `unknown body ${bodyId}`);
    return Buffer.concat(body.chunks);
  }

  eventsOf(type: string): ProxyEvent[] {
    return this.events.filter((event) => event.type === type);
  }

  private settled(bodyId: number, replacement: Buffer | undefined): { changed: false } | { changed: true; content: Buffer } {
    const body = this.bodies.get(bodyId);
    assert.ok(body?.ended, `body ${bodyId} is not waiting for a scan`);
    body.replacement = replacement;
    return replacement === undefined ? { changed: false } : { changed: true, content: replacement };
  }

  private run(step: () => void): this {
    step();
    this.session.rethrowFault();
    return this;
  }

  /** Records every output and checks the engine's output contract. */
  private check(output: EngineOutput): void {
    assert.equal(this.closes.length, 0, `output after close: ${output.kind}`);
    this.log.push(output);
    switch (output.kind) {
      case 'scanDeadline':
        this.deadlines.push(output.bodyId);
        return;
      case 'wakeUp':
        this.wakeUps.push(output.afterMs);
        return;
      case 'clientId':
        assert.fail('POP3 has no client ID');
        return;
      case 'bodyBegin':
        assert.ok(!this.bodies.has(output.bodyId), `body ${output.bodyId} begun twice`);
        // RETR: the octets of "+OK n octets" when the server says so (a hint for the spool); TOP: none.
        if (output.context.section === 'TOP') assert.equal(output.size, undefined);
        else assert.ok(output.size === undefined || Number.isSafeInteger(output.size), `size ${output.size}`);
        this.bodies.set(output.bodyId, {
          bodyId: output.bodyId,
          context: output.context,
          chunks: [],
          ended: false,
          replacement: undefined,
          released: false,
          toClientCount: 0,
        });
        return;
      case 'bodyData': {
        const body = this.bodies.get(output.bodyId);
        assert.ok(body && !body.ended && !body.released, `bodyData for body ${output.bodyId} out of place`);
        body.chunks.push(Buffer.from(output.bytes));
        return;
      }
      case 'bodyEnd': {
        const body = this.bodies.get(output.bodyId);
        assert.ok(body && !body.ended, `bodyEnd for body ${output.bodyId} out of place`);
        body.ended = true;
        return;
      }
      case 'bodyToClient': {
        const body = this.bodies.get(output.bodyId);
        assert.ok(body && !body.released, `bodyToClient for body ${output.bodyId} out of place`);
        assert.ok(output.encoding === 'pop3-dot-stuffed' || (output.encoding === 'raw' && output.end === undefined), `unexpected encoding ${output.encoding}`);
        body.toClientCount += 1;
        return;
      }
      case 'bodyRelease': {
        const body = this.bodies.get(output.bodyId);
        assert.ok(body && !body.released, `bodyRelease for body ${output.bodyId} out of place`);
        body.released = true;
        return;
      }
      case 'event':
        this.events.push(output.event);
        return;
      case 'close':
        this.closes.push(output.reason);
        return;
      case 'toClient':
      case 'toServer':
      case 'commitToServer':
        return;
    }
  }
}

export function toBuffer(data: string | Buffer): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
}

// ── recorded transcripts ─────────────────────────────────────────────────────────────────────────

export interface TranscriptStep {
  from: 'client' | 'server';
  data: string;
}

export interface Fixture {
  name: string;
  description: string;
  transcript: TranscriptStep[];
}

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'pop3');

export const FIXTURE_NAMES = [
  'user-pass-basic',
  'pipelined-retrieval',
  'auth-plain',
  'auth-cancel-and-login',
  'auth-plain-initial-response',
];

export function loadFixture(name: string): Fixture {
  const parsed = JSON.parse(readFileSync(join(fixtureDir, `${name}.json`), 'utf8')) as Omit<Fixture, 'name'>;
  return { name, ...parsed };
}

export function sideBytes(fixture: Fixture, from: 'client' | 'server'): Buffer {
  return Buffer.concat(fixture.transcript.filter((step) => step.from === from).map((step) => toBuffer(step.data)));
}

/** Replays a transcript in order; each step is split with `split`. */
export function replay(fixture: Fixture, split: Splitter, options: HarnessOptions = {}): Harness {
  const harness = new Harness(options);
  for (const step of fixture.transcript) {
    if (step.from === 'client') harness.client(step.data, split);
    else harness.server(step.data, split);
  }
  harness.end('server');
  return harness;
}

/** What a test compares across chunkings. */
export function observable(harness: Harness): unknown {
  return {
    toClient: harness.toClient.toString('latin1'),
    toServer: harness.toServer.toString('latin1'),
    events: harness.events,
    closes: harness.closes,
    bodies: [...harness.bodies.values()].map((body) => ({
      bodyId: body.bodyId,
      context: body.context,
      content: Buffer.concat(body.chunks).toString('latin1'),
      ended: body.ended,
      released: body.released,
      toClientCount: body.toClientCount,
    })),
  };
}
