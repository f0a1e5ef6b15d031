// Many sessions at once through real Dovecot and the real scan pipeline, while the bodies they hold live
// on pooled shared-memory segments that are reused as soon as every holder lets go (segment-pool.ts):
// every client gets exactly the bytes a lone client gets (clean ones as the server sends them, infected
// ones stripped), although segments pass from message to message, clients vanish mid-response and other
// sessions are served from the account's scanned copies. A segment reused too early shows up here as a
// body carrying another message's bytes.
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { segmentPool } from '../../src/scan/segment-pool.js';
import { bigMessage, mixedMailbox, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireDovecot } from '../helpers/require-servers.js';
import { EICAR } from '../unit/mime/messages.js';

const skip = requireDovecot();

/** Distinct messages of many sizes (one size class shared by several), two of them infected. */
function mailbox(): Buffer[] {
  const infected = (seed: number) =>
    withAttachments({ seed, subject: `infected ${seed}`, attachments: [{ filename: `tool-${seed}.com`, contentType: 'application/octet-stream', content: Buffer.from(EICAR, 'latin1') }] });
  return [
    ...mixedMailbox(12, 41),
    ...[9_000, 70_000, 70_500, 300_000, 301_000, 1_200_000, 2_500_000].map((size, index) => bigMessage(size, { seed: 500 + index, kind: index % 2 === 0 ? 'base64' : 'text' })),
    infected(901),
    ...mixedMailbox(4, 77),
    infected(902),
  ];
}

/** Every `BODY[] {n}` literal of a `UID FETCH … (BODY.PEEK[])` response, by UID. */
function bodiesByUid(response: string): Map<number, Buffer> {
  const bodies = new Map<number, Buffer>();
  const start = /\* \d+ FETCH \(UID (\d+) BODY\[\] \{(\d+)\}\r\n/g;
  for (let match = start.exec(response); match; match = start.exec(response)) {
    const from = match.index + match[0].length;
    const length = Number(match[2]);
    bodies.set(Number(match[1]), Buffer.from(response.slice(from, from + length), 'latin1'));
    start.lastIndex = from + length;
  }
  return bodies;
}

/** A TLS connection to `port` (the greeting not yet read). */
async function connect(port: number, ca: string): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/**
 * LOGIN, EXAMINE, UID FETCH of every body and LOGOUT in one write, as a pipelining client sends them; the
 * answer is read to the end of the connection and parsed once.
 */
async function fetchEverything(port: number, ca: string, count: number): Promise<Map<number, Buffer>> {
  const socket = await connect(port, ca);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve, reject) => {
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
  socket.write(`a LOGIN alice secret\r\nb EXAMINE INBOX\r\nc UID FETCH 1:${count} (BODY.PEEK[])\r\nd LOGOUT\r\n`);
  await closed;
  const answer = Buffer.concat(chunks).toString('latin1');
  // LOGOUT's own answer is not waited for: Dovecot sometimes closes before it reaches the client, directly too.
  assert.match(answer, /\r\nc OK [^\r]*\r\n/, 'the FETCH completed');
  return bodiesByUid(answer);
}

/** A client that asks for every body and is gone after `afterBytes` bytes of the answer. */
async function vanishMidResponse(port: number, ca: string, afterBytes: number): Promise<void> {
  const socket = await connect(port, ca);
  let loggedIn = '';
  let fetched = -1;
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.on('data', (chunk: Buffer) => {
      if (fetched < 0) {
        loggedIn += chunk.toString('latin1');
        if (!/\r\na OK/.test(loggedIn)) return;
        fetched = 0;
        socket.write('b EXAMINE INBOX\r\nc UID FETCH 1:* (BODY.PEEK[])\r\n');
        return;
      }
      fetched += chunk.length;
      if (fetched >= afterBytes) socket.destroy();
    });
    socket.write('a LOGIN alice secret\r\n');
  });
  assert.ok(fetched >= afterBytes, `the vanishing client got ${fetched} bytes of its answer first`);
}

describe('concurrent sessions with pooled body segments (real Dovecot, scan pipeline)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  const messages = mailbox();
  const count = messages.length;

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: messages } });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], { scanner: 'pipeline' });
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('every session gets the bytes a lone session gets, while segments are reused and clients vanish', async () => {
    const port = proxy.port('imaps');
    const fetchAll = () => fetchEverything(port, proxy.caPem, count);
    const fromServer = await fetchEverything(dovecot.ports.imaps, dovecot.caPem, count);
    // What one client alone gets: the yardstick (scanned copies shared by the account are dropped first).
    proxy.scannedCopies.clear();
    const alone = await fetchAll();
    assert.equal(alone.size, count);
    const stripped = [...alone].filter(([uid, body]) => !body.equals(fromServer.get(uid)!)).map(([uid]) => uid);
    assert.deepEqual(stripped, [20, 25], 'only the two infected messages differ from the server copy');
    for (const uid of stripped) {
      assert.ok(!alone.get(uid)!.includes(EICAR), `message ${uid} was stripped`);
      assert.equal(alone.get(uid)!.length, fromServer.get(uid)!.length, `message ${uid} kept its size`);
    }

    const before = segmentPool.counters;
    for (let round = 0; round < 2; round++) {
      // Every other round without the account's scanned copies, so bodies are spooled, scanned and held again.
      if (round === 1) proxy.scannedCopies.clear();
      const results = await Promise.all([
        ...Array.from({ length: 5 }, () => fetchAll()),
        vanishMidResponse(port, proxy.caPem, 150_000),
        vanishMidResponse(port, proxy.caPem, 1_600_000),
      ]);
      for (const [client, bodies] of results.entries()) {
        if (!(bodies instanceof Map)) continue;
        assert.equal(bodies.size, count, `round ${round} client ${client}: every body`);
        for (const [uid, body] of bodies) assert.ok(body.equals(alone.get(uid)!), `round ${round} client ${client}: message ${uid} as a lone client gets it`);
      }
    }
    const after = segmentPool.counters;
    assert.ok(after.reused > before.reused, `segments were reused (${after.reused - before.reused} times)`);
    // The proxy keeps serving after the vanished clients.
    const last = await fetchAll();
    for (const [uid, body] of last) assert.ok(body.equals(alone.get(uid)!), `after the vanished clients: message ${uid}`);
  });
});
