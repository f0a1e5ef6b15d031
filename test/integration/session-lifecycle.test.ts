// Issue 12 §1: held responses survive the server's close, and deletions commit only after delivery.
// Every transcript through the proxy is compared byte for byte with the same one sent to Dovecot directly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { FaultInjectingScanner } from '../helpers/fault-injecting-scanner.js';
import { withoutTimings } from '../helpers/imap-raw.js';
import { MARKER, markerScanner } from '../helpers/marker-scanner.js';
import { dotLines, plainText, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireDovecot } from '../helpers/require-servers.js';
import { waitUntil } from '../helpers/wait-until.js';

const skip = requireDovecot();
const CRLF = '\r\n';
const SAME = 'X'.repeat(MARKER.length);
/** Dovecot users, each with its own copy of the mailbox (the destructive tests get their own). */
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'henry', 'ivan', 'judy', 'kim'];

const mailbox = (): Buffer[] => [
  plainText({ seed: 1 }),
  withAttachments({ seed: 2 }),
  withAttachments({ seed: 3, text: `the third one carries ${MARKER} in its text` }),
  dotLines({ seed: 4 }),
  plainText({ seed: 5, lines: 40 }),
];

const scanned = (text: string): string => text.split(MARKER).join(SAME);

async function messageCount(dovecot: DovecotServer, user: string): Promise<number> {
  const out = await dovecot.doveadm(['mailbox', 'status', '-u', user, 'messages', 'INBOX']);
  return Number(/messages=(\d+)/.exec(out)?.[1]);
}

/** Opens a session, waits for the greeting, sends `script` in one write and returns what follows the greeting, up to the close. */
async function oneWrite(port: number, ca: string, script: string): Promise<string> {
  const client = await RawClient.connect(port, { tls: { ca } });
  await client.waitFor(/\r\n/);
  const greeting = client.text().length;
  client.write(script);
  return (await client.waitForEnd(30_000)).slice(greeting);
}

async function sessionsClosed(proxy: TestProxy): Promise<number> {
  return ((await proxy.logText()).match(/"msg":"session closed"/g) ?? []).length;
}

describe('held work survives the server close; deletions commit after delivery', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  let slow: TestProxy;
  let held: TestProxy;
  const holding = new FaultInjectingScanner();

  before(async () => {
    const messages = Object.fromEntries(USERS.map((user) => [user, mailbox()]));
    dovecot = await startDovecot({ users: USERS.map((name) => ({ name, password: 'secret' })), messages });
    const listeners = [
      { name: 'pop3s', upstream: `localhost:${dovecot.ports.pop3s}`, protocol: 'pop3' as const, upstreamCa: dovecot.caPath },
      { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap' as const, upstreamCa: dovecot.caPath },
    ];
    // Even a short scan outlasts the server's answer to QUIT/LOGOUT, as the production pipeline does.
    proxy = await startTestProxy(listeners, { scanner: markerScanner(SAME, 300) });
    slow = await startTestProxy(listeners, { scanner: markerScanner(SAME, 2500) });
    held = await startTestProxy(listeners, { scanner: holding });
  });

  after(async () => {
    holding.release();
    await proxy?.close();
    await slow?.close();
    await held?.close();
    await dovecot?.stop();
  });

  it('POP3: RETR 3, DELE 3, QUIT in one write is answered exactly as Dovecot answers it, and only then is message 3 deleted', async () => {
    const script = (user: string) => `USER ${user}${CRLF}PASS secret${CRLF}RETR 3${CRLF}DELE 3${CRLF}QUIT${CRLF}`;
    const direct = await oneWrite(dovecot.ports.pop3s, dovecot.caPem, script('bob'));
    const proxied = await oneWrite(proxy.port('pop3s'), proxy.caPem, script('carol'));
    assert.ok(direct.includes(MARKER) && direct.endsWith(`+OK Logging out, messages deleted.${CRLF}`), direct.slice(-200));
    assert.equal(proxied, scanned(direct));
    assert.equal(await messageCount(dovecot, 'bob'), 4);
    assert.equal(await messageCount(dovecot, 'carol'), 4);
  });

  it('POP3: CAPA, UIDL, LIST, RETR 1, RETR 2, TOP 4 5, RETR 4, RETR 99, QUIT pipelined after USER/PASS match a direct session', async () => {
    const script = ['USER alice', 'PASS secret', 'CAPA', 'UIDL', 'LIST', 'RETR 1', 'RETR 2', 'TOP 4 5', 'RETR 4', 'RETR 99', 'QUIT'].map((line) => line + CRLF).join('');
    const direct = await oneWrite(dovecot.ports.pop3s, dovecot.caPem, script);
    const proxied = await oneWrite(proxy.port('pop3s'), proxy.caPem, script);
    assert.match(direct, /-ERR [^\r]*\r\n\+OK Logging out\.\r\n$/);
    assert.equal(proxied, direct);
    assert.equal(await messageCount(dovecot, 'alice'), 5);
  });

  it('IMAP: LOGIN, SELECT, FETCH 1:5 BODY.PEEK[], LOGOUT in one write: five bodies, c OK, BYE, d OK as directly', async () => {
    const script = ['a LOGIN alice secret', 'b SELECT INBOX', 'c FETCH 1:5 BODY.PEEK[]', 'd LOGOUT'].map((line) => line + CRLF).join('');
    const direct = withoutTimings(await oneWrite(dovecot.ports.imaps, dovecot.caPem, script));
    const proxied = withoutTimings(await oneWrite(proxy.port('imaps'), proxy.caPem, script));
    assert.equal((direct.match(/^\* \d FETCH \(BODY\[\] \{/gm) ?? []).length, 5);
    assert.match(direct, /\r\nc OK [^\r]*\r\n\* BYE [^\r]*\r\nd OK [^\r]*\r\n$/);
    assert.equal(proxied, scanned(direct));
  });

  it('POP3: a scan of seconds in the middle of a pipelined RETR/DELE/QUIT burst: everything arrives in order, then the deletions commit', async () => {
    const script = (user: string) =>
      [`USER ${user}`, 'PASS secret', 'RETR 2', 'DELE 2', 'RETR 3', 'DELE 3', 'RETR 4', 'DELE 4', 'QUIT'].map((line) => line + CRLF).join('');
    const direct = await oneWrite(dovecot.ports.pop3s, dovecot.caPem, script('dave'));
    const proxied = await oneWrite(slow.port('pop3s'), slow.caPem, script('erin'));
    assert.equal(proxied, scanned(direct));
    assert.equal(await messageCount(dovecot, 'erin'), 2);
  });

  it('POP3: QUIT reaches Dovecot only after the held RETR was written to the client', async () => {
    holding.hold();
    const before = holding.started;
    const client = await RawClient.connect(held.port('pop3s'), { tls: { ca: held.caPem } });
    await client.waitFor(/^\+OK/);
    client.write(`USER frank${CRLF}PASS secret${CRLF}RETR 3${CRLF}DELE 3${CRLF}QUIT${CRLF}`);
    await holding.whenStarted(before + 1);
    // The server has answered RETR and DELE; while the body is held nothing reached the client and nothing is expunged.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(client.text().includes('octets'), false);
    assert.equal(await messageCount(dovecot, 'frank'), 5);
    holding.release();
    const text = await client.waitForEnd(15_000);
    assert.ok(text.includes(SAME) && !text.includes(MARKER));
    assert.match(text, /\+OK Marked to be deleted\.\r\n\+OK Logging out, messages deleted\.\r\n$/);
    assert.equal(await messageCount(dovecot, 'frank'), 4);
  });

  it('POP3: a client that disconnects before the held body reached it leaves the message on the server', async () => {
    holding.hold();
    const before = holding.started;
    const closedBefore = await sessionsClosed(held);
    const client = await RawClient.connect(held.port('pop3s'), { tls: { ca: held.caPem } });
    await client.waitFor(/^\+OK/);
    client.write(`USER grace${CRLF}PASS secret${CRLF}RETR 3${CRLF}DELE 3${CRLF}QUIT${CRLF}`);
    await holding.whenStarted(before + 1);
    client.close();
    await waitUntil(async () => (await sessionsClosed(held)) > closedBefore, 'the proxy to close the session');
    holding.release();
    // Dovecot ends its session when the proxy closes the upstream leg without QUIT: no UPDATE state.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await messageCount(dovecot, 'grace'), 5);
  });

  it('IMAP: FETCH then EXPUNGE pipelined with a held scan: the EXPUNGE reaches Dovecot only after the body was written', async () => {
    const client = await RawClient.connect(held.port('imaps'), { tls: { ca: held.caPem } });
    await client.waitFor(/\r\n/);
    client.write(`a LOGIN henry secret${CRLF}b SELECT INBOX${CRLF}c STORE 3 +FLAGS.SILENT (\\Deleted)${CRLF}`);
    await client.waitFor(/\r\nc OK [^\r]*\r\n$/);
    holding.hold();
    const before = holding.started;
    const from = client.text().length;
    client.write(`d FETCH 3 BODY.PEEK[]${CRLF}e EXPUNGE${CRLF}`);
    await holding.whenStarted(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(client.text().slice(from), '');
    assert.equal(await messageCount(dovecot, 'henry'), 5, 'nothing is expunged while the FETCH response is held');
    const settledBefore = holding.settled;
    holding.release();
    const text = await client.waitFor(/\r\ne OK [^\r]*\r\n$/, { from });
    assert.equal(holding.settled, settledBefore + 1);
    assert.ok(text.indexOf(SAME) >= 0 && text.indexOf(SAME) < text.indexOf('* 3 EXPUNGE'), text);
    assert.ok(text.indexOf('d OK') < text.indexOf('* 3 EXPUNGE'));
    assert.equal(await messageCount(dovecot, 'henry'), 4);
    client.close();
  });

  it('IMAP: a client that disconnects while the FETCH before its EXPUNGE is held: nothing is expunged', async () => {
    const closedBefore = await sessionsClosed(held);
    const client = await RawClient.connect(held.port('imaps'), { tls: { ca: held.caPem } });
    await client.waitFor(/\r\n/);
    client.write(`a LOGIN kim secret${CRLF}b SELECT INBOX${CRLF}c STORE 3 +FLAGS.SILENT (\\Deleted)${CRLF}`);
    await client.waitFor(/\r\nc OK [^\r]*\r\n$/);
    holding.hold();
    const before = holding.started;
    client.write(`d FETCH 3 BODY.PEEK[]${CRLF}e EXPUNGE${CRLF}`);
    await holding.whenStarted(before + 1);
    client.close();
    await waitUntil(async () => (await sessionsClosed(held)) > closedBefore, 'the proxy to close the session');
    holding.release();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await messageCount(dovecot, 'kim'), 5);
  });

  for (const [user, fault] of [['ivan', 'throw'], ['judy', 'reject']] as const) {
    it(`a scanner that ${fault === 'throw' ? 'throws' : 'rejects'} closes only that session: no QUIT, mail kept, the next session on the proxy works`, async () => {
      holding.faults.set(user, fault);
      for (const protocol of ['pop3s', 'imaps'] as const) {
        const client = await RawClient.connect(held.port(protocol), { tls: { ca: held.caPem } });
        await client.waitFor(/\r\n/);
        client.write(
          protocol === 'pop3s'
            ? `USER ${user}${CRLF}PASS secret${CRLF}RETR 1${CRLF}DELE 1${CRLF}QUIT${CRLF}`
            : `a LOGIN ${user} secret${CRLF}b SELECT INBOX${CRLF}c FETCH 1 BODY.PEEK[]${CRLF}d LOGOUT${CRLF}`,
        );
        const text = await client.waitForEnd(15_000);
        assert.ok(!text.includes('Subject: Test message 1'), 'nothing of the faulted body reaches the client');
      }
      assert.equal(await messageCount(dovecot, user), 5);
      const log = await held.logText();
      assert.match(log, /"stage":"scanner"[^\n]*"msg":"fault in the session; closing it"/);
      const script = ['USER alice', 'PASS secret', 'RETR 3', 'QUIT'].map((line) => line + CRLF).join('');
      const next = await oneWrite(held.port('pop3s'), held.caPem, script);
      assert.ok(next.includes(SAME) && next.endsWith(`+OK Logging out.${CRLF}`), next.slice(-100));
    });
  }
});
