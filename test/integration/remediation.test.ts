// Retroactive remediation (#14) against a real Dovecot: a blocking late verdict for a part that went
// out moves the message into the quarantine folder from inside the user's own session — while the
// client idles (it sees the EXPUNGE, and its IDLE goes on), or before the first command of its next
// session (it sees nothing of it). The verdicts come through the proxy's RemediationHub, as stage 2
// (or a shared verdict) delivers them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { connectImapflow } from '../helpers/clients.js';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { RemediationHub } from '../../src/proxy/remediation-hub.js';
import { EventLog, eventsPath } from '../../src/store/events.js';
import { RemediationStore } from '../../src/store/remediations.js';
import { plainText } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireDovecot } from '../helpers/require-servers.js';
import { waitUntil } from '../helpers/wait-until.js';

const skip = requireDovecot();
const FOLDER = 'InboxGuard Quarantine';
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

async function count(dovecot: DovecotServer, user: string, mailbox: string): Promise<number> {
  const out = await dovecot.doveadm(['mailbox', 'status', '-u', user, 'messages', mailbox]).catch(() => 'messages=0');
  return Number(/messages=(\d+)/.exec(out)?.[1]);
}

async function subjects(dovecot: DovecotServer, user: string, mailbox: string): Promise<string[]> {
  const out = await dovecot.doveadm(['fetch', '-u', user, 'hdr.subject', 'mailbox', mailbox, 'all']);
  return [...out.matchAll(/^hdr\.subject: (.*)$/gm)].map((m) => m[1].trim());
}

describe('retroactive remediation inside the user\'s sessions (real Dovecot)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  let dataDir: string;
  let store: RemediationStore;
  let hub: RemediationHub;
  let upstream: string;

  const mailbox = (): Buffer[] => [1, 2, 3].map((seed) => plainText({ seed, subject: `message ${seed}` }));

  before(async () => {
    dovecot = await startDovecot({
      users: [{ name: 'alice', password: 'secret' }, { name: 'bob', password: 'secret' }],
      messages: { alice: mailbox(), bob: mailbox() },
    });
    upstream = `127.0.0.1:${dovecot.ports.imaps}`;
    dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-remediation-'));
    store = RemediationStore.open(dataDir);
    hub = new RemediationHub(store, new EventLog(eventsPath(dataDir)), () => ({ remediate: 'move', quarantineFolder: FOLDER }));
    proxy = await startTestProxy([{ name: 'imaps', upstream, protocol: 'imap', upstreamCa: dovecot.caPath }], {
      dataDir,
      serverActionsFor: (name) => hub.forSession(name),
    });
  });

  after(async () => {
    await proxy?.close();
    store?.close();
    await dovecot?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('moves the message while the client idles: the client sees the EXPUNGE and keeps working', async () => {
    const client = await connectImapflow(proxy.port('imaps'), proxy.caPem);
    const expunged: number[] = [];
    client.on('expunge', (event: { seq: number }) => expunged.push(event.seq));
    try {
      const box = await client.mailboxOpen('INBOX');
      const idling = client.idle();
      await new Promise((resolve) => setTimeout(resolve, 200));
      hub.released({ protocol: 'imap', upstream, user: 'alice', mailbox: 'INBOX', uidValidity: String(box.uidValidity), uid: 2, subject: 'message 2' }, [SHA_A]);
      hub.lateVerdict({ sha256: SHA_A, verdict: 'malicious', name: 'Test.Late', backend: 'analysis:test', blocking: true });
      await waitUntil(() => expunged.length > 0, 'the EXPUNGE to reach the idling client');
      assert.deepEqual(expunged, [2]);
      assert.equal(await count(dovecot, 'alice', 'INBOX'), 2);
      assert.deepEqual(await subjects(dovecot, 'alice', FOLDER), ['message 2']);
      // The IDLE the client started is still the one it ends: its next command works as before.
      const uids: number[] = [];
      for await (const message of client.fetch('1:*', { uid: true })) uids.push(message.uid);
      await idling.catch(() => undefined);
      assert.deepEqual(uids, [1, 3]);
      assert.equal(store.pending(upstream, 'alice').length, 0);
      const events = readFileSync(eventsPath(dataDir), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { actions: string[]; uid?: number });
      assert.ok(events.some((event) => event.actions.includes(`moved-to:${FOLDER}`) && event.uid === 2), JSON.stringify(events));
    } finally {
      await client.logout().catch(() => client.close());
    }
  });

  it('with no session open, the move waits for the next one and happens before its first command, unseen', async () => {
    // UIDVALIDITY as Dovecot reports it, read directly (not through the proxy).
    const direct = new ImapFlow({ host: '127.0.0.1', port: dovecot.ports.imaps, secure: true, tls: { ca: dovecot.caPem, servername: 'localhost' }, auth: { user: 'bob', pass: 'secret' }, logger: false });
    await direct.connect();
    const uidValidity = String((await direct.mailboxOpen('INBOX', { readOnly: true })).uidValidity);
    await direct.logout();
    hub.released({ protocol: 'imap', upstream, user: 'bob', mailbox: 'INBOX', uidValidity, uid: 3, subject: 'message 3' }, [SHA_B]);
    hub.lateVerdict({ sha256: SHA_B, verdict: 'malicious', backend: 'analysis:test', blocking: true });
    assert.equal(store.pending(upstream, 'bob').length, 1);
    assert.equal(await count(dovecot, 'bob', 'INBOX'), 3, 'nothing happens without a session of bob');

    const raw = await RawClient.connect(proxy.port('imaps'), { tls: { ca: proxy.caPem, servername: 'localhost' } });
    try {
      await raw.waitFor(/^\* OK.*\r\n/m);
      raw.write('a1 LOGIN bob secret\r\n');
      await raw.waitFor(/^a1 OK.*\r\n/m);
      raw.write('a2 SELECT INBOX\r\n');
      const selected = await raw.waitFor(/^a2 OK.*\r\n/m);
      assert.match(selected, /^\* 2 EXISTS\r\n/m, 'the message had been moved before the client\'s SELECT');
      raw.write('a3 LOGOUT\r\n');
      await raw.waitFor(/^a3 OK.*\r\n/m);
      const transcript = raw.text();
      assert.doesNotMatch(transcript, /^ig[0-9a-f]+\./m, 'no response to the proxy\'s own commands reached the client');
      assert.doesNotMatch(transcript, /EXPUNGE|COPYUID|Quarantine/, 'nothing of the proxy\'s own mailbox reached the client');
    } finally {
      raw.close();
    }
    assert.deepEqual(await subjects(dovecot, 'bob', FOLDER), ['message 3']);
    assert.equal(store.pending(upstream, 'bob').length, 0);
  });
});
