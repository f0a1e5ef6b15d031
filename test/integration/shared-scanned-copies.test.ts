// Issue 15: scanned copies are kept across the connections of one account. Thunderbird opens several
// connections; once one of them has read a message (chunked, BODY.PEEK[]<0.65536> …), another one of
// the same account reads it from the scanned copy, and Dovecot sends no body bytes again. Counted in
// the bytes the proxy read from the server per session (its "session closed" statistics).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { connectImapflow } from '../helpers/clients.js';
import { bigMessage } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireDovecot } from '../helpers/require-servers.js';

const skip = requireDovecot();
const SIZES = [70_000, 130_000, 200_000, 90_000, 150_000];
const MESSAGES = SIZES.map((size, i) => bigMessage(size, { seed: i + 1 }));
const TOTAL = SIZES.reduce((sum, size) => sum + size, 0);
/** What a session that reads no message body still gets from Dovecot: greeting, capabilities, SELECT, FETCH metadata. */
const NO_BODIES = 20_000;

/** Downloads a message as Thunderbird does, in 64 KiB partial fetches. */
async function chunkedDownload(client: ImapFlow, uid: number): Promise<Buffer> {
  const { content } = await client.download(String(uid), undefined, { uid: true, chunkSize: 65536 });
  assert.ok(content, `UID ${uid} is there`);
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function open(port: number, caPem: string, user = 'alice'): Promise<ImapFlow> {
  const client = await connectImapflow(port, caPem, user);
  await client.mailboxOpen('INBOX');
  return client;
}

/** bytesFromServer of every closed session, in the order they closed. */
async function closedSessions(proxy: TestProxy, count: number): Promise<number[]> {
  for (let attempt = 0; ; attempt++) {
    const closed = (await proxy.logText())
      .split('\n')
      .filter((line) => line.includes('"session closed"'))
      .map((line) => (JSON.parse(line) as { bytesFromServer: number }).bytesFromServer);
    if (closed.length >= count || attempt >= 100) return closed;
  }
}

/** Logs out and returns the bytes Dovecot sent through the proxy for that session. */
async function serverBytesOf(proxy: TestProxy, client: ImapFlow, closedBefore: number): Promise<number> {
  await client.logout();
  const closed = await closedSessions(proxy, closedBefore + 1);
  assert.equal(closed.length, closedBefore + 1, 'the proxy logged the session statistics');
  return closed[closedBefore];
}

describe('scanned copies shared by the connections of one account (real Dovecot)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  let closed = 0;

  before(async () => {
    dovecot = await startDovecot({
      users: [
        { name: 'alice', password: 'secret' },
        { name: 'bob', password: 'secret' },
      ],
      messages: { alice: MESSAGES, bob: MESSAGES },
    });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `127.0.0.1:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], { scanner: 'pipeline' });
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('a second connection reads every message without Dovecot sending a body again, byte for byte', async () => {
    const a = await open(proxy.port('imaps'), proxy.caPem);
    const b = await open(proxy.port('imaps'), proxy.caPem);
    const fromA: Buffer[] = [];
    for (let uid = 1; uid <= MESSAGES.length; uid++) fromA.push(await chunkedDownload(a, uid));
    const aBytes = await serverBytesOf(proxy, a, closed++);
    const hitsBefore = proxy.scannedCopies.stats.hits;
    const fromB: Buffer[] = [];
    for (let uid = 1; uid <= MESSAGES.length; uid++) fromB.push(await chunkedDownload(b, uid));
    const bBytes = await serverBytesOf(proxy, b, closed++);

    assert.deepEqual(fromA, MESSAGES, 'clean messages arrive unchanged');
    assert.deepEqual(fromB, fromA, 'the second connection gets the same bytes');
    assert.ok(aBytes >= TOTAL, `the first connection fetched every message (${aBytes} bytes from Dovecot)`);
    assert.ok(bBytes < NO_BODIES, `the second connection made Dovecot send no bodies: ${bBytes} bytes for ${TOTAL} bytes of messages`);
    assert.equal(proxy.scannedCopies.stats.hits - hitsBefore, MESSAGES.length, 'one hit per message; later chunks from the session’s own copy');
  });

  it('another user of the same server never hits alice’s copies', async () => {
    const hitsBefore = proxy.scannedCopies.stats.hits;
    const bob = await open(proxy.port('imaps'), proxy.caPem, 'bob');
    for (let uid = 1; uid <= 2; uid++) assert.deepEqual(await chunkedDownload(bob, uid), MESSAGES[uid - 1]);
    const bobBytes = await serverBytesOf(proxy, bob, closed++);
    assert.ok(bobBytes >= SIZES[0] + SIZES[1], `Dovecot sent bob's messages (${bobBytes} bytes)`);
    assert.equal(proxy.scannedCopies.stats.hits, hitsBefore);
  });

  it('after an EXPUNGE seen on one connection, another connection fetches from the server again', async () => {
    const a = await open(proxy.port('imaps'), proxy.caPem);
    const b = await open(proxy.port('imaps'), proxy.caPem);
    assert.ok(proxy.scannedCopies.stats.entries >= MESSAGES.length, 'alice’s copies are kept');
    assert.equal(await a.messageDelete('1', { uid: true }), true);
    await serverBytesOf(proxy, a, closed++);
    assert.deepEqual(await chunkedDownload(b, 2), MESSAGES[1]);
    const bBytes = await serverBytesOf(proxy, b, closed++);
    assert.ok(bBytes >= SIZES[1], `the copy was dropped with the expunge: Dovecot sent message 2 again (${bBytes} bytes)`);
  });

  it('after a configuration reload (rules, actions), another connection fetches from the server again', async () => {
    const a = await open(proxy.port('imaps'), proxy.caPem);
    assert.deepEqual(await chunkedDownload(a, 3), MESSAGES[2]);
    await serverBytesOf(proxy, a, closed++);
    assert.ok(proxy.scannedCopies.stats.entries >= 1, 'the copy of message 3 is kept');
    const current = proxy.live.current;
    proxy.live.replace({ ...current, actions: { ...current.actions, subjectTag: '[reloaded]' } });
    assert.equal(proxy.scannedCopies.stats.entries, 0, 'a copy delivered under the old settings is not served again');
    const b = await open(proxy.port('imaps'), proxy.caPem);
    assert.deepEqual(await chunkedDownload(b, 3), MESSAGES[2]);
    const bBytes = await serverBytesOf(proxy, b, closed++);
    assert.ok(bBytes >= SIZES[2], `Dovecot sent message 3 again (${bBytes} bytes)`);
  });
});

describe('shared scanned copies stay within scan.sharedCopies.maxBytes (real Dovecot)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  const maxBytes = 400_000;

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: MESSAGES } });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `127.0.0.1:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], {
      scanner: 'pipeline',
      settings: { scan: { sharedCopies: { maxBytes, memoryBytes: 150_000 } } },
    });
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('least recently used copies are evicted; an evicted message is fetched again, a kept one is not', async () => {
    const a = await open(proxy.port('imaps'), proxy.caPem);
    for (let uid = 1; uid <= MESSAGES.length; uid++) await chunkedDownload(a, uid);
    await serverBytesOf(proxy, a, 0);
    const stats = proxy.scannedCopies.stats;
    assert.ok(stats.bytes <= maxBytes, `${stats.bytes} bytes kept`);
    // 640,000 bytes offered: 200,000 + 90,000 + 150,000 > 400,000, so only the last two (240,000) fit.
    assert.equal(stats.evicted, 3);
    assert.ok(stats.spooled >= 1, 'beyond the memory budget copies went to files');

    const b = await open(proxy.port('imaps'), proxy.caPem);
    assert.deepEqual(await chunkedDownload(b, 5), MESSAGES[4]);
    assert.deepEqual(await chunkedDownload(b, 4), MESSAGES[3]);
    const kept = await serverBytesOf(proxy, b, 1);
    assert.ok(kept < NO_BODIES, `kept copies came from the store (${kept} bytes from Dovecot)`);

    const c = await open(proxy.port('imaps'), proxy.caPem);
    assert.deepEqual(await chunkedDownload(c, 1), MESSAGES[0]);
    const evicted = await serverBytesOf(proxy, c, 2);
    assert.ok(evicted >= SIZES[0], `the evicted message came from Dovecot again (${evicted} bytes)`);
  });
});
