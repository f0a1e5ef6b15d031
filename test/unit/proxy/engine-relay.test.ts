// The relay between two in-memory sockets (no network) and a real POP3 engine: deletions commit only
// after delivery, and every fault stays inside its session's boundary while another session on the
// same scanner keeps working.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import pino from 'pino';
import { configSchema } from '../../../src/config/schema.js';
import { Pop3Engine } from '../../../src/pop3/engine.js';
import { DotStuffer } from '../../../src/pop3/dot-stuffing.js';
import { defaultEngineOptions } from '../../../src/protocol/engine.js';
import { SCAN_DEADLINE_GRACE_MS } from '../../../src/protocol/held-bodies.js';
import { startEngineRelay } from '../../../src/proxy/engine-relay.js';
import type { BodyScanner } from '../../../src/scan/body-scanner.js';
import { createScanSetup } from '../../../src/scan/create-pipeline.js';
import { eventsPath } from '../../../src/store/events.js';
import { quarantineDir } from '../../../src/store/quarantine.js';
import { EICAR_STRING } from '../../../src/scan/engines/builtin/eicar.js';
import { FaultInjectingScanner } from '../../helpers/fault-injecting-scanner.js';
import { MARKER } from '../../helpers/marker-scanner.js';
import { FaultInjectingSocket } from './fault-injecting-socket.js';
import { waitUntil } from '../../helpers/wait-until.js';

const GREETING = '+OK ready\r\n';
const MESSAGE = `Subject: one\r\n\r\n.a dotted line with ${MARKER}\r\n`;
const SCANNED = MESSAGE.split(MARKER).join('X'.repeat(MARKER.length));

function retrReply(content: string): string {
  const stuffer = new DotStuffer();
  const bytes = Buffer.from(content, 'latin1');
  return `+OK ${bytes.length} octets\r\n${Buffer.concat([stuffer.push(bytes), stuffer.end()]).toString('latin1')}.\r\n`;
}

let sessionIds = 0;

/**
 * Lets the event loop turn until `condition` holds, failing rather than hanging. Every tenth turn sleeps a
 * millisecond: the production pipeline does real I/O (a module loaded on first use, files), which a
 * bounded number of bare turns can outrun on a busy machine.
 */

function startSession(scanner: BodyScanner, options: { scanTimeoutMs?: number; memoryBufferBytes?: number } = {}) {
  const client = new FaultInjectingSocket();
  const upstream = new FaultInjectingSocket();
  const logLines: Record<string, unknown>[] = [];
  const session = ++sessionIds;
  const log = pino({ level: 'debug' }, { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) }).child({ session });
  let ended: (reason: string) => void = () => undefined;
  const end = new Promise<string>((resolve) => (ended = resolve));
  startEngineRelay({
    client: client.socket,
    upstream: upstream.socket,
    ready: { kind: 'ready', protocol: 'pop3', serverBytes: Buffer.from(GREETING), clientBytes: Buffer.alloc(0), greetingPending: true },
    engine: new Pop3Engine({ ...defaultEngineOptions }),
    scanner,
    memoryBufferBytes: options.memoryBufferBytes ?? 1024 * 1024,
    scanTimeoutMs: options.scanTimeoutMs ?? 120_000,
    listener: 'test',
    upstreamName: 'upstream:110',
    log,
    onEnd: (reason) => ended(reason),
  });
  return { client, upstream, logLines, session, end };
}

/** Logs in as `user` and pipelines RETR 1, DELE 1, QUIT; the server answers everything but QUIT. */
async function retrDeleQuit(session: ReturnType<typeof startSession>, user: string, message = MESSAGE): Promise<void> {
  const { client, upstream } = session;
  await client.until((text) => text === GREETING);
  client.receive(`USER ${user}\r\nPASS secret\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n`);
  await upstream.until((text) => text.endsWith('DELE 1\r\n'));
  upstream.receive(`+OK\r\n+OK logged in\r\n${retrReply(message)}+OK marked\r\n`);
}

/** `RETR 1 DELE 1 QUIT` in one write, with the body's scan held (release it with scanner.release()). */
async function heldRetrDeleQuit(): Promise<{ scanner: FaultInjectingScanner; session: ReturnType<typeof startSession> }> {
  const scanner = new FaultInjectingScanner();
  scanner.hold();
  const session = startSession(scanner);
  await retrDeleQuit(session, 'alice');
  await scanner.whenStarted(1);
  return { scanner, session };
}

/** A whole clean session on `scanner`: the body arrives scanned, then QUIT goes upstream. */
async function workingSession(scanner: BodyScanner): Promise<void> {
  const session = startSession(scanner);
  await retrDeleQuit(session, 'alice');
  await session.upstream.until((text) => text.endsWith('QUIT\r\n'));
  assert.equal(session.client.text, `${GREETING}+OK\r\n+OK logged in\r\n${retrReply(SCANNED)}+OK marked\r\n`);
  session.upstream.receive('+OK bye\r\n');
  session.upstream.peerEnd();
  await session.client.until((text) => text.endsWith('+OK bye\r\n'));
  session.client.peerEnd();
  assert.equal(await session.end, 'server closed the connection');
}

function faultLogged(session: ReturnType<typeof startSession>, stage: string): boolean {
  return session.logLines.some((line) => line.msg === 'fault in the session; closing it' && line.stage === stage && line.session === session.session);
}

describe('engine relay: deletion commits after delivery', () => {
  it('QUIT goes upstream only after the held body was written to the client', async () => {
    const { scanner, session } = await heldRetrDeleQuit();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(session.upstream.text.includes('QUIT'), false);
    assert.equal(session.client.text, `${GREETING}+OK\r\n+OK logged in\r\n`);
    scanner.release();
    await session.upstream.until((text) => text.endsWith('QUIT\r\n'));
    assert.equal(session.client.text, `${GREETING}+OK\r\n+OK logged in\r\n${retrReply(SCANNED)}+OK marked\r\n`);
    session.upstream.receive('+OK bye\r\n');
    session.upstream.peerEnd();
    await session.client.until((text) => text.endsWith('+OK bye\r\n'));
    await waitUntil(() => session.client.writableEnded, 'the engine closes the client leg after the last reply');
  });

  it('a held response released by its verdict reaches the client in one write, with what queued behind it', async () => {
    const { scanner, session } = await heldRetrDeleQuit();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(session.client.text, `${GREETING}+OK\r\n+OK logged in\r\n`);
    const before = session.client.operations.length;
    scanner.release();
    await session.upstream.until((text) => text.endsWith('QUIT\r\n'));
    assert.deepEqual(
      session.client.operations.slice(before).map((operation) => operation.toString('latin1')),
      [`${retrReply(SCANNED)}+OK marked\r\n`],
    );
  });

  it('the server ending while the body is held does not cut the client off', async () => {
    const { scanner, session } = await heldRetrDeleQuit();
    session.upstream.peerEnd();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(session.client.writableEnded, false);
    scanner.release();
    await session.client.until((text) => text.endsWith('-ERR inboxguard: the server closed the connection\r\n'));
    assert.equal(session.client.text, `${GREETING}+OK\r\n+OK logged in\r\n${retrReply(SCANNED)}+OK marked\r\n-ERR inboxguard: the server closed the connection\r\n`);
    assert.equal(session.upstream.text.includes('QUIT'), false);
  });

  it('a read error on the upstream after a complete reply does not discard the held body', async () => {
    const { scanner, session } = await heldRetrDeleQuit();
    session.upstream.destroy(Object.assign(new Error('fault injected: connection reset'), { code: 'ECONNRESET' }));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(session.client.writableEnded, false);
    scanner.release();
    await session.client.until((text) => text.endsWith('-ERR inboxguard: the server closed the connection\r\n'));
    assert.equal(session.client.text, `${GREETING}+OK\r\n+OK logged in\r\n${retrReply(SCANNED)}+OK marked\r\n-ERR inboxguard: the server closed the connection\r\n`);
  });

  it('a scanner that never answers is settled by scan.onError once scan.timeoutSeconds and the grace have passed', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    try {
      const scanner = new FaultInjectingScanner();
      scanner.hold();
      const session = startSession(scanner, { scanTimeoutMs: 1000 });
      await retrDeleQuit(session, 'alice');
      await scanner.whenStarted(1);
      mock.timers.tick(1000 + SCAN_DEADLINE_GRACE_MS - 1);
      assert.equal(scanner.timedOutCalls, 0);
      mock.timers.tick(1);
      assert.equal(scanner.timedOutCalls, 1);
      await session.upstream.until((text) => text.endsWith('QUIT\r\n'));
      assert.equal(session.client.text, `${GREETING}+OK\r\n+OK logged in\r\n${retrReply(MESSAGE)}+OK marked\r\n`, 'scan.onError here: deliver unchanged');
      scanner.release();
    } finally {
      mock.timers.reset();
    }
  });
});

describe('engine relay: one fault boundary per session', () => {
  for (const fault of ['throw', 'reject'] as const) {
    it(`a scanner that ${fault === 'throw' ? 'throws synchronously' : 'rejects'} ends only its session, nothing committed; the next session works`, async () => {
      const scanner = new FaultInjectingScanner();
      scanner.faults.set('mallory', fault);
      const session = startSession(scanner);
      await retrDeleQuit(session, 'mallory');
      await waitUntil(() => session.client.writableEnded, 'the client leg is closed');
      assert.ok(faultLogged(session, 'scanner'), JSON.stringify(session.logLines.filter((line) => (line.level as number) >= 50)));
      assert.equal(session.client.text, `${GREETING}+OK\r\n+OK logged in\r\n`, 'nothing of the held reply');
      assert.equal(session.upstream.text.includes('QUIT'), false);
      assert.equal(session.upstream.destroyed, true);
      assert.equal(scanner.timedOutCalls, 1, 'the held body was settled by scan.onError');
      session.client.peerEnd();
      assert.equal(await session.end, 'fault in scanner');
      await workingSession(scanner);
    });
  }

  it('a client write that fails ends the session without committing QUIT; the next session works', async () => {
    const { scanner, session } = await heldRetrDeleQuit();
    session.client.failWrites = true;
    scanner.release();
    const reason = await session.end;
    assert.match(reason, /client/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(session.upstream.text.includes('QUIT'), false);
    await workingSession(scanner);
  });

  it('a body the spool cannot keep never leads to a committed QUIT', async () => {
    // A real failure, not an injected one: the spill directory does not exist.
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(tmpdir(), 'inboxguard-no-such-dir', 'spool');
    try {
      const scanner = new FaultInjectingScanner();
      const session = startSession(scanner, { memoryBufferBytes: 8 });
      await retrDeleQuit(session, 'alice');
      await waitUntil(() => session.client.writableEnded || session.upstream.text.endsWith('QUIT\r\n'), 'the session decides');
      const delivered = `${GREETING}+OK\r\n+OK logged in\r\n${retrReply(SCANNED)}+OK marked\r\n`;
      if (session.upstream.text.endsWith('QUIT\r\n')) {
        // A spool that keeps the body in memory when it cannot spill: then the client must have it all.
        assert.equal(session.client.text, delivered);
      } else {
        assert.equal(
          session.client.text,
          `${GREETING}+OK\r\n+OK logged in\r\n-ERR inboxguard: the message could not be processed; it stays on the server\r\n+OK marked\r\n-ERR inboxguard: a message could not be delivered, so nothing was deleted\r\n`,
        );
        assert.ok(session.logLines.some((line) => line.type === 'body-failed' && String(line.reason).includes('ENOENT')), 'an event names the failed body and why');
        assert.equal(scanner.started, 0, 'nothing was scanned');
      }
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  describe('with the production pipeline', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-relay-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    it('an event log that cannot be written (the scanner rejects) ends only that session', async () => {
      const setup = await createScanSetup(configSchema.parse({}), dataDir, undefined, ['builtin']);
      // A directory where the event log file should be: every append fails with EISDIR.
      mkdirSync(eventsPath(dataDir), { recursive: true });
      const session = startSession(setup.pipeline);
      await retrDeleQuit(session, 'alice');
      await waitUntil(() => session.client.writableEnded, 'the client leg is closed');
      assert.ok(faultLogged(session, 'scanner'));
      assert.equal(session.upstream.text.includes('QUIT'), false);
      session.client.peerEnd();
      assert.equal(await session.end, 'fault in scanner');
      // The same proxy-wide scanner serves the next session once the log is writable again.
      rmSync(eventsPath(dataDir), { recursive: true });
      const clean = startSession(setup.pipeline);
      await retrDeleQuit(clean, 'alice');
      await clean.upstream.until((text) => text.endsWith('QUIT\r\n'));
      assert.equal(clean.client.text, `${GREETING}+OK\r\n+OK logged in\r\n${retrReply(MESSAGE)}+OK marked\r\n`);
    });

    it('a quarantine that cannot be written is the pipeline\'s own failure: settled by scan.onError, the session goes on', async () => {
      const otherDir = mkdtempSync(join(tmpdir(), 'inboxguard-relay-q-'));
      try {
        const setup = await createScanSetup(configSchema.parse({}), otherDir, undefined, ['builtin']);
        // A file where the quarantine directory should be: keeping the original fails with ENOTDIR/EEXIST.
        writeFileSync(quarantineDir(otherDir), 'not a directory');
        const infected = `Subject: infected\r\nContent-Type: text/plain\r\n\r\n${EICAR_STRING}\r\n`;
        const session = startSession(setup.pipeline);
        await retrDeleQuit(session, 'alice', infected);
        await session.upstream.until((text) => text.endsWith('QUIT\r\n'));
        assert.equal(session.client.text, `${GREETING}+OK\r\n+OK logged in\r\n${retrReply(infected)}+OK marked\r\n`, 'scan.onError=pass: delivered unchanged, never rewritten blind');
        assert.equal(session.logLines.some((line) => line.msg === 'fault in the session; closing it'), false);
        assert.match(readFileSync(eventsPath(otherDir), 'utf8'), /quarantine write failed[^"]*scan\.onError=pass/);
      } finally {
        rmSync(otherDir, { recursive: true, force: true });
      }
    });
  });
});
