// Issue 15: scanned copies are kept across the connections of one account. Thunderbird opens several
// connections; once one of them has read a message (chunked, BODY.PEEK[]<0.65536> …), another one of
// the same account reads it from the scanned copy, and Dovecot sends no body bytes again. Counted in
// the bytes the proxy read from the server per session (its "session closed" statistics).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { eventsPath, readEvents } from '../../src/store/events.js';
import { VerdictStore } from '../../src/store/verdicts.js';
import { connectImapflow } from '../helpers/clients.js';
import { bigMessage, loremLines, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { zipFile } from '../unit/scan/engines/samples.js';

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

  it('a reload that sets scan.sharedCopies.maxBytes to 0 turns sharing off for the running proxy', async () => {
    const current = proxy.live.current;
    proxy.live.replace({ ...current, scan: { ...current.scan, sharedCopies: { maxBytes: 0, memoryBytes: 0 } } });
    const a = await open(proxy.port('imaps'), proxy.caPem);
    assert.deepEqual(await chunkedDownload(a, 3), MESSAGES[2]);
    await serverBytesOf(proxy, a, closed++);
    assert.equal(proxy.scannedCopies.stats.entries, 0, 'no copy is kept');
    proxy.live.replace(current);
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

// A verdict stored after a copy was kept: the analysis path (stage 2 with a `command` backend, a real
// program) releases the message at analysis.maxWaitSeconds, then calls one of its parts malicious. The
// store's change drops every shared copy, so the next connection's chunked read goes to Dovecot again
// and gets the verdict applied (the part removed, the size kept).
describe('shared scanned copies and a verdict stored later (real Dovecot, command analysis backend)', { skip: requireAll(skip, requireCommand('sh', 'dash')), timeout: 120_000 }, () => {
  const BAD_ZIP = zipFile([{ name: 'invoice.txt', data: 'pay now\nSANDBOX-MALICIOUS\n' }], 'store');
  // About 185 KB, so a chunked read takes three 64 KiB pieces.
  const MESSAGE = withAttachments({ seed: 31, subject: 'copies and a late verdict', text: loremLines(2600, 31).join('\r\n'), attachments: [{ filename: 'invoice.zip', contentType: 'application/zip', content: BAD_ZIP }] });
  const zipSha = createHash('sha256').update(BAD_ZIP).digest('hex');
  const carriesZip = (body: Buffer) => body.includes(BAD_ZIP.toString('base64').slice(0, 60));
  // The sandbox: answers after 3 s (past analysis.maxWaitSeconds), malicious for a part with the marker.
  const SANDBOX = 'sleep 3; if grep -q SANDBOX-MALICIOUS "$0"; then echo \'{"verdict":"malicious","name":"Sandbox.Copies.Test"}\'; exit 1; fi; echo \'{"verdict":"clean"}\'';
  let dovecot: DovecotServer;
  let proxy: TestProxy;

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: [MESSAGE] } });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `127.0.0.1:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], {
      scanner: 'pipeline',
      settings: {
        imap: { keepaliveSeconds: 1 },
        analysis: {
          backends: [{ name: 'sandbox', type: 'command', command: ['sh', '-c', SANDBOX, '{file}'], timeoutSeconds: 30, maxConcurrent: 2 }],
          maxWaitSeconds: 1,
          onTimeout: 'deliver',
        },
      },
    });
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('the copy kept before the verdict is dropped; the next connection reads from Dovecot and gets the part removed', async () => {
    assert.ok(MESSAGE.length > 2 * 65536, `a chunked read of ${MESSAGE.length} bytes takes several pieces`);
    const a = await open(proxy.port('imaps'), proxy.caPem);
    assert.deepEqual(await chunkedDownload(a, 1), MESSAGE, 'released unchanged at analysis.maxWaitSeconds');
    const aBytes = await serverBytesOf(proxy, a, 0);
    assert.ok(aBytes >= MESSAGE.length, `Dovecot sent the message to the first connection (${aBytes} bytes)`);
    assert.equal(proxy.scannedCopies.stats.entries, 1, 'the delivered copy is kept for the account');
    const forgottenBefore = proxy.scannedCopies.stats.forgotten;

    // The late verdict lands in the verdict store (the analysis path); the copy goes with it.
    const store = VerdictStore.open(proxy.dataDir);
    try {
      for (let attempt = 0; attempt < 200 && store.get(zipSha)?.verdict !== 'malicious'; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(store.get(zipSha)?.verdict, 'malicious', 'the sandbox called the zip malicious');
    } finally {
      store.close();
    }
    assert.equal(proxy.scannedCopies.stats.entries, 0, 'the verdict change dropped the copy');
    assert.equal(proxy.scannedCopies.stats.forgotten - forgottenBefore, 1);

    const hitsBefore = proxy.scannedCopies.stats.hits;
    const b = await open(proxy.port('imaps'), proxy.caPem);
    const fromB = await chunkedDownload(b, 1);
    const bBytes = await serverBytesOf(proxy, b, 1);
    assert.equal(proxy.scannedCopies.stats.hits, hitsBefore, 'no copy served');
    assert.ok(bBytes >= MESSAGE.length, `Dovecot sent the message again (${bBytes} bytes for ${MESSAGE.length})`);
    assert.equal(fromB.length, MESSAGE.length, 'the size stays true');
    assert.ok(!carriesZip(fromB), 'the malicious part is removed');
    assert.match(fromB.toString('latin1'), /inboxguard removed/);
    const applied = readEvents(eventsPath(proxy.dataDir)).filter((event) => event.verdict === 'infected');
    assert.deepEqual(
      applied.map((event) => event.detections.map((finding) => [finding.engine, finding.name])),
      [[['analysis:sandbox', 'Sandbox.Copies.Test']]],
      'the stored verdict was applied to the second read',
    );
  });
});
