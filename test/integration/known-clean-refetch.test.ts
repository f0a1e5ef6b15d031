// Issue 15: a message found clean is not scanned again when a client fetches it whole again, on the
// same connection or another of the account (imaptest, offline sync, a client that keeps no cache).
// Real Dovecot, the real scan pipeline in its workers, imapflow; scans counted in the events log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { eventsPath, readEvents } from '../../src/store/events.js';
import { connectImapflow } from '../helpers/clients.js';
import { plainText, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireDovecot } from '../helpers/require-servers.js';
import { EICAR } from '../unit/scan/archive/archive-builders.js';

const skip = requireDovecot();
const CLEAN = [plainText({ seed: 1, subject: 'one', lines: 40 }), withAttachments({ seed: 2, subject: 'two', attachments: [{ filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('fine\r\n') }] }), plainText({ seed: 3, subject: 'three', lines: 4000 })];
const INFECTED = withAttachments({ seed: 4, subject: 'invoice', attachments: [{ filename: 'x.com', contentType: 'application/octet-stream', content: EICAR }] });
const MESSAGES = [...CLEAN, INFECTED];

async function open(proxy: TestProxy): Promise<ImapFlow> {
  const client = await connectImapflow(proxy.port('imaps'), proxy.caPem);
  await client.mailboxOpen('INBOX');
  return client;
}

/** `UID FETCH 1:* (UID BODY.PEEK[])`, in UID order. */
async function fetchAll(client: ImapFlow): Promise<Buffer[]> {
  const messages = await client.fetchAll('1:*', { uid: true, source: true }, { uid: true });
  return messages.sort((a, b) => a.uid - b.uid).map((message) => message.source!);
}

/** Scan events per UID, in UID order. */
function scansPerUid(proxy: TestProxy): number[] {
  const events = readEvents(eventsPath(proxy.dataDir));
  return MESSAGES.map((_, index) => events.filter((event) => event.uid === index + 1).length);
}

/** bodiesKnownClean of the first `count` "session closed" lines (0 where absent), once that many are logged. */
async function knownCleanPerClosedSession(proxy: TestProxy, count: number): Promise<number[]> {
  for (let attempt = 0; ; attempt++) {
    const closed = (await proxy.logText()).split('\n').filter((line) => line.includes('"session closed"'));
    if (closed.length >= count || attempt >= 100) return closed.slice(0, count).map((line) => (JSON.parse(line) as { bodiesKnownClean?: number }).bodiesKnownClean ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Scans per UID while one connection fetches the mailbox twice. */
async function scansOfTwoFetches(proxy: TestProxy): Promise<number[]> {
  const before = scansPerUid(proxy);
  const client = await open(proxy);
  await fetchAll(client);
  await fetchAll(client);
  await client.logout();
  return scansPerUid(proxy).map((count, index) => count - before[index]);
}

describe('a message found clean is not scanned again when fetched whole again (real Dovecot)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: MESSAGES } });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `127.0.0.1:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], { scanner: 'pipeline' });
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('fetched again on the same connection and on another one: the same bytes, one scan per clean message, the infected one every time', async () => {
    const a = await open(proxy);
    const first = await fetchAll(a);
    const again = await fetchAll(a);
    await a.logout();
    const b = await open(proxy);
    const fromB = await fetchAll(b);
    await b.logout();

    assert.deepEqual(first.slice(0, 3), CLEAN, 'clean messages arrive unchanged');
    assert.equal(first[3].length, INFECTED.length, 'the infected one keeps its size');
    assert.ok(!first[3].includes(EICAR), 'and loses the attachment');
    assert.deepEqual(again, first, 'the second fetch delivers the same bytes');
    assert.deepEqual(fromB, first, 'so does another connection');
    assert.deepEqual(scansPerUid(proxy), [1, 1, 1, 3], 'clean messages were scanned once, the infected one on every fetch');
    assert.equal(proxy.scannedCopies.stats.cleanReused, 6);
    assert.deepEqual(await knownCleanPerClosedSession(proxy, 2), [3, 3], 'each connection\'s "session closed" line counts the bodies it passed on unscanned');
  });

  it('a rule that tests the listener: every fetch is scanned (what one session decided may not hold for another)', async () => {
    const current = proxy.live.current;
    const listenerRule = { id: 'r-listener', name: 'other listener', level: 'filtering', conditions: [{ field: 'listener', op: 'is', value: 'somewhere-else' }], actions: ['log'] };
    proxy.live.replace({ ...current, rules: { ...current.rules, transport: [listenerRule, ...current.rules.transport] } } as typeof current);
    try {
      assert.deepEqual(await scansOfTwoFetches(proxy), [2, 2, 2, 2]);
    } finally {
      proxy.live.replace(current);
    }
  });

  it('after a reload, a message found clean under the old settings is scanned again, once', async () => {
    const current = proxy.live.current;
    proxy.live.replace({ ...current, actions: { ...current.actions, subjectTag: '[reloaded]' } });
    try {
      assert.deepEqual(await scansOfTwoFetches(proxy), [1, 1, 1, 2]);
    } finally {
      proxy.live.replace(current);
    }
  });
});
