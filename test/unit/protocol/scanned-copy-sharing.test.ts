// The session core's side of shared scanned copies (issue #15): a body the IMAP engine offers is handed
// to the store with its delivered bytes (the scanner's replacement, or the original) — unless it was
// settled by scan.onError rather than by a verdict — and a copy another session kept is written from
// the store. Real IMAP engine, in-memory ports, time fired by hand.
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ImapEngine } from '../../../src/imap/engine.js';
import { defaultEngineOptions } from '../../../src/protocol/engine.js';
import { ProcessMemory } from '../../../src/protocol/memory-budget.js';
import { SessionCore } from '../../../src/protocol/session-core.js';
import type { ScannedCopy, ScannedCopyIntake, ScannedCopyKey, ScannedCopyStore } from '../../../src/protocol/session-ports.js';
import { InMemorySpool, RecordingClientSink, RecordingServerSink, ScriptedScanner } from '../../helpers/in-memory-session.js';

const MESSAGE = 'Subject: x\r\n\r\nEICAR-LIKE body of the message\r\n';
const REPLACED = 'Subject: x\r\n\r\n[removed] body of the message\r\n';
const POLICY = 'Subject: x\r\n\r\nblocked by scan.onError policy\r\n';

/** Keeps what it is given in memory; counts what the session asks. */
class RecordingStore implements ScannedCopyStore {
  readonly kept = new Map<string, Buffer>();
  offers = 0;
  releases = 0;

  take(user: string, key: ScannedCopyKey): ScannedCopy | undefined {
    const content = this.kept.get(`${user}/${key.uid}`);
    if (!content) return undefined;
    return { size: content.length, literal8: false, kept: true, read: (start, end) => [content.subarray(start, end)], release: () => void this.releases++ };
  }

  offer(user: string, key: ScannedCopyKey): ScannedCopyIntake {
    this.offers++;
    return {
      put: async (content) => {
        const chunks: Buffer[] = [];
        for await (const chunk of content) chunks.push(Buffer.from(chunk));
        this.kept.set(`${user}/${key.uid}`, Buffer.concat(chunks));
      },
      invalidated: false,
    };
  }

  forget(): void {}
  readonly epoch = 0;
  rememberClean(): void {}
  knownClean(): boolean {
    return false;
  }
}

function session(store: RecordingStore) {
  const client = new RecordingClientSink();
  const deadlines: Array<() => void> = [];
  const scanner = new ScriptedScanner(() => ({ changed: true, content: Buffer.from(REPLACED, 'latin1') }), false);
  const unlimited = Number.POSITIVE_INFINITY;
  const core = new SessionCore({
    engine: new ImapEngine({ ...defaultEngineOptions, scannedCopies: store }),
    client,
    server: new RecordingServerSink(),
    legs: { setReading() {}, endServer() {}, abortServer() {}, endClient() {} },
    scanner: {
      scan: (bodyId, body, context, answer) => scanner.scan(bodyId, body, context, answer),
      timedOut: () => ({ changed: true, content: Buffer.from(POLICY, 'latin1') }),
    },
    openSpool: () => new InMemorySpool(),
    memory: new ProcessMemory(unlimited).openSession({ sessionBytes: unlimited, diskWriteWindowBytes: unlimited, scansWaiting: unlimited }),
    timers: {
      after(_ms, purpose, fire) {
        if (purpose === 'scan deadline') deadlines.push(fire);
        return { cancel() {} };
      },
    },
    scanTimeoutMs: 1000,
    encoders: {},
    log: { debug() {}, info() {}, warn() {}, error() {} },
    onEnd() {},
    onFault: (stage, error) => {
      throw error instanceof Error ? error : new Error(stage);
    },
  });
  core.start(Buffer.from('* OK ready\r\n'), Buffer.alloc(0));
  core.fromClient(Buffer.from('a1 LOGIN alice secret\r\n'));
  core.fromServer(Buffer.from('a1 OK in\r\n'));
  core.fromClient(Buffer.from('a2 SELECT INBOX\r\n'));
  core.fromServer(Buffer.from('* OK [UIDVALIDITY 42] ok\r\na2 OK [READ-WRITE] done\r\n'));
  const text = () => Buffer.concat(client.chunks).toString('latin1');
  /** A first chunk of UID 7: the engine fetches it whole. */
  const firstChunk = (): void => {
    core.fromClient(Buffer.from('a3 UID FETCH 7 (BODY.PEEK[]<0.20>)\r\n'));
    core.fromServer(Buffer.from(`* 1 FETCH (UID 7 BODY[] {${MESSAGE.length}}\r\n${MESSAGE})\r\na3 OK done\r\n`));
  };
  return { core, scanner, deadlines, text, firstChunk };
}

describe('shared scanned copies in the session core', () => {
  it('hands the delivered bytes (the replacement) to the store once the verdict is in', async () => {
    const store = new RecordingStore();
    const s = session(store);
    s.firstChunk();
    assert.equal(store.offers, 0, 'nothing before the verdict');
    s.scanner.answer(s.scanner.waiting[0]);
    assert.ok(s.text().endsWith(`BODY[]<0> {20}\r\n${REPLACED.slice(0, 20)})\r\na3 OK done\r\n`), 'the client got the replacement');
    await nextTurn();
    assert.equal(store.offers, 1);
    assert.equal(store.kept.get('alice/7')?.toString('latin1'), REPLACED);
  });

  it('does not hand over a body settled by scan.onError instead of a verdict', async () => {
    const store = new RecordingStore();
    const s = session(store);
    s.firstChunk();
    assert.equal(s.deadlines.length, 1);
    s.deadlines[0]();
    await nextTurn();
    assert.ok(s.text().endsWith(`BODY[]<0> {20}\r\n${POLICY.slice(0, 20)})\r\na3 OK done\r\n`), 'delivered by the policy');
    assert.equal(store.kept.size, 0, 'not kept for other sessions');
  });

  it('writes a copy another session kept, and lets go of it', async () => {
    const store = new RecordingStore();
    store.kept.set('alice/7', Buffer.from(REPLACED, 'latin1'));
    const s = session(store);
    s.core.fromClient(Buffer.from('a3 UID FETCH 7 (BODY.PEEK[]<10.20>)\r\n'));
    s.core.fromServer(Buffer.from('* 1 FETCH (UID 7)\r\na3 OK done\r\n'));
    assert.ok(s.text().endsWith(`* 1 FETCH (UID 7 BODY[]<10> {20}\r\n${REPLACED.slice(10, 30)})\r\na3 OK done\r\n`));
    assert.deepEqual(s.scanner.waiting, [], 'nothing scanned');
    s.core.inputEnded('client');
    s.core.inputEnded('server');
    await nextTurn();
    assert.equal(store.releases, 1);
  });
});
