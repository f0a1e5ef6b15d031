// The session core between a real POP3 engine and injected ports: how it settles scans (verdict,
// safety-net deadline, a lost spool, a broken scanner), accounts for backpressure, frees bodies and
// closes, and that one fault boundary catches whatever throws. No sockets, no timers: time is fired by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DotStuffer } from '../../../src/pop3/dot-stuffing.js';
import { Pop3Engine } from '../../../src/pop3/engine.js';
import { defaultEngineOptions, type ProtocolEngine } from '../../../src/protocol/engine.js';
import { HIGH_WATER_BYTES } from '../../../src/protocol/limits.js';
import { ProcessMemory } from '../../../src/protocol/memory-budget.js';
import { SCAN_DEADLINE_GRACE_MS } from '../../../src/protocol/held-bodies.js';
import { CLOSE_GRACE_MS, SessionCore } from '../../../src/protocol/session-core.js';
import type { ClientSink, SessionSpool, TimerPurpose } from '../../../src/protocol/session-ports.js';
import { InMemorySpool, RecordingServerSink, ScriptedScanner } from '../../helpers/in-memory-session.js';

const GREETING = '+OK ready\r\n';
const CONTENT = 'Subject: x\r\n\r\nhello\r\n';
const RETR_REPLY = `+OK ${CONTENT.length} octets\r\n${CONTENT}.\r\n`;
const POLICY = 'Subject: x\r\n\r\nblocked\r\n';

class ClientRecorder implements ClientSink {
  readonly chunks: Buffer[] = [];
  pendingBytes = 0;
  busy = false;
  idleWaiters: (() => void)[] = [];
  write(bytes: Buffer): void {
    this.chunks.push(Buffer.from(bytes));
  }
  writeSource(): void {
    throw new Error('not used');
  }
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
}

function setup(options: { scanTimeoutMs?: number; scansWaiting?: number; openSpool?: () => SessionSpool; engine?: ProtocolEngine; clock?: () => number } = {}) {
  const client = new ClientRecorder();
  const server = new RecordingServerSink();
  const legCalls: string[] = [];
  const timers: { ms: number; purpose: TimerPurpose; fire(): void; cancelled: boolean }[] = [];
  const scanner = new ScriptedScanner(() => ({ changed: false }), false);
  const timedOut: number[] = [];
  const faults: string[] = [];
  const logged: string[] = [];
  const spools: InMemorySpool[] = [];
  let ended: string | undefined;
  const unlimited = Number.POSITIVE_INFINITY;
  const memory = new ProcessMemory(unlimited).openSession({ sessionBytes: unlimited, diskWriteWindowBytes: unlimited, scansWaiting: options.scansWaiting ?? unlimited });
  const core = new SessionCore({
    engine: options.engine ?? new Pop3Engine({ ...defaultEngineOptions }),
    client,
    server,
    legs: {
      setReading: (side, reading) => legCalls.push(`${side} ${reading ? 'on' : 'off'}`),
      endServer: () => legCalls.push('end server'),
      abortServer: () => legCalls.push('abort server'),
      endClient: () => legCalls.push('end client'),
    },
    scanner: {
      scan: (bodyId, body, context, answer) => scanner.scan(bodyId, body, context, answer),
      timedOut: (body) => {
        timedOut.push(body.size);
        return { changed: true, content: Buffer.from(POLICY, 'latin1') };
      },
    },
    openSpool:
      options.openSpool ??
      (() => {
        const spool = new InMemorySpool();
        spools.push(spool);
        return spool;
      }),
    memory,
    timers: {
      after(ms, purpose, fire) {
        const timer = { ms, purpose, fire, cancelled: false };
        timers.push(timer);
        return { cancel: () => (timer.cancelled = true) };
      },
    },
    scanTimeoutMs: options.scanTimeoutMs,
    ...(options.clock ? { clock: options.clock } : {}),
    encoders: { 'pop3-dot-stuffed': () => new DotStuffer() },
    log: {
      debug: (_fields, message) => logged.push(`debug: ${message}`),
      info: (_fields, message) => logged.push(message),
      warn: (_fields, message) => logged.push(message),
      error: (_fields, message) => logged.push(message),
    },
    onEnd: (reason) => (ended = reason),
    onFault: (stage) => faults.push(stage),
  });
  const fire = (purpose: TimerPurpose): void => {
    const due = timers.filter((timer) => timer.purpose === purpose && !timer.cancelled);
    assert.ok(due.length > 0, `a ${purpose} timer is armed`);
    for (const timer of due) {
      timer.cancelled = true;
      timer.fire();
    }
  };
  const retrieve = (): void => {
    core.start(Buffer.from(GREETING), Buffer.alloc(0));
    core.fromClient(Buffer.from('RETR 1\r\nDELE 1\r\nQUIT\r\n'));
    core.fromServer(Buffer.from(RETR_REPLY));
  };
  return { core, client, server, legCalls, timers, scanner, timedOut, faults, logged, spools, memory, fire, retrieve, ended: () => ended };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('session core', () => {
  it('arms one hold wake-up for a body arriving in many chunks, and it settles the body when due', () => {
    let now = 1_000;
    const s = setup({ clock: () => now });
    s.core.start(Buffer.from(GREETING), Buffer.alloc(0));
    s.core.fromClient(Buffer.from('RETR 1\r\n'));
    const content = `Subject: x\r\n\r\n${'line of the body\r\n'.repeat(200)}`;
    const reply = Buffer.from(`+OK ${content.length} octets\r\n${content}.\r\n`, 'latin1');
    const pieces: Buffer[] = [];
    for (let offset = 0; offset < reply.length; offset += 100) pieces.push(reply.subarray(offset, offset + 100));
    assert.ok(pieces.length > 30);
    const wakeUps = () => s.timers.filter((timer) => timer.purpose === 'wake-up');
    // Every chunk ticks the engine first (the clock moves); the held reply then asks again for its deadline.
    for (const piece of pieces.slice(0, -1)) {
      now += 1;
      s.core.fromServer(piece);
    }
    assert.equal(wakeUps().length, 1, 'one timer for the whole arrival, not one per chunk');
    assert.equal(wakeUps()[0].cancelled, false);
    assert.equal(wakeUps()[0].ms, defaultEngineOptions.maxHoldMs, 'armed when the hold started, for its deadline');
    now += 1;
    s.core.fromServer(pieces.at(-1)!);
    assert.deepEqual(s.scanner.waiting, [1]);
    assert.equal(wakeUps().length, 1, 'nor one for the last chunk');
    now += defaultEngineOptions.maxHoldMs;
    s.fire('wake-up');
    assert.deepEqual(s.timedOut, [content.length], 'the wake-up at the hold deadline settled the scan by policy');
    assert.ok(s.client.text.endsWith(`octets\r\n${POLICY}.\r\n`), 'the policy replacement was delivered');
  });

  it('holds a body until its verdict, then writes the scanned content dot-stuffed and forwards the commit', () => {
    const s = setup();
    s.retrieve();
    assert.equal(s.client.text, GREETING);
    assert.deepEqual(s.scanner.waiting, [1]);
    s.scanner.answer(1, { changed: true, content: Buffer.from('.dot\r\n') });
    assert.equal(s.client.text, `${GREETING}+OK ${CONTENT.length} octets\r\n..dot\r\n.\r\n`);
    assert.equal(s.server.commits.length, 0, 'QUIT waits for the DELE reply first');
    s.core.fromServer(Buffer.from('+OK deleted\r\n'));
    assert.deepEqual(s.server.commits, ['QUIT\r\n']);
  });

  it('receives and hands on the next body while one is being scanned, and delivers each as soon as the verdicts allow, with no timer', () => {
    const announced: (number | undefined)[] = [];
    const s = setup({
      openSpool: (announcedSize?: number) => {
        announced.push(announcedSize);
        return new InMemorySpool();
      },
    });
    s.core.start(Buffer.from(GREETING), Buffer.alloc(0));
    s.core.fromClient(Buffer.from('RETR 1\r\nRETR 2\r\n'));
    s.core.fromServer(Buffer.from(RETR_REPLY + RETR_REPLY.replace('hello', 'hallo')));
    assert.deepEqual(s.scanner.waiting, [1, 2], 'the second body went to the scanner while the first was still there');
    assert.deepEqual(announced, [CONTENT.length, CONTENT.length], 'each spool was told the size the server announced');
    s.scanner.answer(2);
    assert.equal(s.client.text, GREETING, 'replies go out in order: the second waits for the first');
    // Timers fire here only by hand, and none was: the verdict alone releases both replies.
    s.scanner.answer(1);
    assert.equal(s.client.text, `${GREETING}${RETR_REPLY}${RETR_REPLY.replace('hello', 'hallo')}`);
  });

  it('settles a scanner that never answers by scan.onError once scan.timeoutSeconds and the grace have passed, and ignores its late verdict', () => {
    const s = setup({ scanTimeoutMs: 1000 });
    s.retrieve();
    const deadline = s.timers.find((timer) => timer.purpose === 'scan deadline');
    assert.equal(deadline?.ms, 1000 + SCAN_DEADLINE_GRACE_MS);
    s.fire('scan deadline');
    assert.deepEqual(s.timedOut, [CONTENT.length]);
    assert.equal(s.client.text, `${GREETING}+OK ${CONTENT.length} octets\r\n${POLICY}.\r\n`);
    s.scanner.answer(1, { changed: true, content: Buffer.from('late\r\n') });
    assert.equal(s.client.text, `${GREETING}+OK ${CONTENT.length} octets\r\n${POLICY}.\r\n`);
    assert.equal(s.ended(), undefined);
  });

  it('a verdict cancels the safety-net deadline', () => {
    const s = setup({ scanTimeoutMs: 1000 });
    s.retrieve();
    s.scanner.answer(1);
    assert.ok(s.timers.filter((timer) => timer.purpose === 'scan deadline').every((timer) => timer.cancelled));
  });

  it('a body its spool refused fails alone: the engine answers that reply with an error and the session goes on', () => {
    const s = setup({
      openSpool: () =>
        Object.assign(new InMemorySpool(), {
          append() {
            throw new Error('disk full');
          },
        }),
    });
    s.retrieve();
    assert.deepEqual(s.scanner.waiting, [], 'nothing is scanned');
    assert.match(s.client.text, /^\+OK ready\r\n-ERR .*stays on the server/);
    assert.equal(s.ended(), undefined);
    assert.deepEqual(s.faults, []);
  });

  it('a scanner that breaks is a fault of the session: held scans settle by scan.onError, nothing more reaches the server, only this session ends', () => {
    const s = setup();
    const other = setup();
    s.retrieve();
    other.retrieve();
    s.scanner.break(1, new Error('worker crashed'));
    assert.deepEqual(s.faults, ['scanner']);
    assert.ok(s.legCalls.includes('abort server'));
    assert.ok(s.server.stopped);
    assert.deepEqual(s.timedOut, [CONTENT.length], 'the held scan was settled by the policy');
    assert.ok(s.legCalls.includes('end client'));
    s.fire('close grace');
    assert.equal(s.ended(), 'fault in scanner');
    other.scanner.answer(1);
    assert.match(other.client.text, /hello/, 'another session is not affected');
  });

  it('an engine that throws is caught by the same boundary, and a half-written body ends the session at once', () => {
    const engine = new Pop3Engine({ ...defaultEngineOptions });
    const s = setup({ engine });
    s.core.start(Buffer.from(GREETING), Buffer.alloc(0));
    engine.fromClient = () => {
      throw new Error('engine bug');
    };
    s.client.busy = true;
    s.core.fromClient(Buffer.from('STAT\r\n'));
    assert.deepEqual(s.faults, ['client data']);
    assert.equal(s.ended(), 'fault in client data');
    s.core.fromClient(Buffer.from('STAT\r\n'));
    assert.deepEqual(s.faults, ['client data'], 'nothing runs after the end');
  });

  it('stops reading the server while the client sink is over the high-water mark, and reads again when it drains', () => {
    const s = setup();
    s.core.start(Buffer.from(GREETING), Buffer.alloc(0));
    assert.equal(s.legCalls.at(-2), 'server on');
    s.client.pendingBytes = HIGH_WATER_BYTES + 1;
    s.core.flowChanged();
    assert.equal(s.legCalls.at(-2), 'server off');
    s.client.pendingBytes = 0;
    s.core.flowChanged();
    assert.equal(s.legCalls.at(-2), 'server on');
  });

  it('stops reading the server while too many bodies wait for their scan', () => {
    const s = setup({ scansWaiting: 1 });
    s.retrieve();
    assert.equal(s.memory.counters.scansWaiting, 1);
    assert.equal(s.legCalls.at(-2), 'server off');
    s.scanner.answer(1);
    assert.equal(s.memory.counters.scansWaiting, 0);
    assert.equal(s.legCalls.at(-2), 'server on');
  });

  it('frees a released body only once the client sink is done with it', async () => {
    const s = setup();
    s.retrieve();
    s.client.busy = true;
    s.scanner.answer(1);
    await turn();
    assert.equal(s.spools[0].disposed, false, 'still streaming to the client');
    s.client.busy = false;
    for (const wake of s.client.idleWaiters) wake();
    await turn();
    assert.equal(s.spools[0].disposed, true);
  });

  it("the engine's close ends the server leg, then the client leg once written, and the session after the grace", async () => {
    const s = setup();
    s.core.start(Buffer.from(GREETING), Buffer.alloc(0));
    s.core.fromClient(Buffer.from('QUIT\r\n'));
    s.core.fromServer(Buffer.from('+OK bye\r\n'));
    s.core.serverClosed('upstream closed the connection');
    assert.ok(s.logged.includes('debug: protocol engine closed the session'));
    assert.ok(s.legCalls.includes('end server'));
    await turn();
    assert.ok(s.legCalls.includes('end client'));
    assert.equal(s.timers.find((timer) => timer.purpose === 'close grace')?.ms, CLOSE_GRACE_MS);
    s.fire('close grace');
    assert.match(s.ended() ?? '', /closed/);
  });

  it('a server that ends with a body held still delivers it; the client then gets the rest', () => {
    const s = setup();
    s.retrieve();
    s.core.serverClosed('upstream closed the connection');
    assert.ok(s.server.stopped, 'nothing more goes to the server');
    s.scanner.answer(1);
    assert.match(s.client.text, /hello\r\n\.\r\n/);
  });
});
