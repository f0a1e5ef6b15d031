import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { COMPRESS_DEFLATE_CONFIG, startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { imapflowFetchAll, pythonImap, sha256 } from '../helpers/clients.js';
import { literalAfter, RawImap, withoutTimings } from '../helpers/imap-raw.js';
import { MARKER, markerScanner } from '../helpers/marker-scanner.js';
import { bigMessage, mixedMailbox, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';

const skip = requireAll(requireDovecot(), requireCommand('python3', 'python3'));
const MiB = 1024 * 1024;
const SAME = 'X'.repeat(MARKER.length);
const LONGER = `${'Y'.repeat(MARKER.length)} -- replaced by something longer`;
const UNICODE_MAILBOX = 'Ünïcode Ordner';

const replaced = (bytes: Buffer, by: string) => Buffer.from(bytes.toString('latin1').split(MARKER).join(by), 'latin1');

describe('IMAP through inboxguard with a rewriting test scanner (real Dovecot)', { skip }, () => {
  let dovecot: DovecotServer;
  let sameSize: TestProxy;
  let longer: TestProxy;
  let messages: Buffer[];
  let markedUid: number;
  let bigUid: number;

  before(async () => {
    const marked = withAttachments({
      seed: 4242,
      subject: 'marked',
      text: `first line\r\nthe ${MARKER} sits here\r\nlast line`,
    });
    messages = [...mixedMailbox(200), marked, bigMessage(21 * MiB)];
    markedUid = 201;
    bigUid = 202;
    dovecot = await startDovecot({ messages: { alice: messages } });
    await dovecot.doveadm(['mailbox', 'create', '-u', 'alice', UNICODE_MAILBOX]);
    await dovecot.doveadm(['save', '-u', 'alice', '-m', UNICODE_MAILBOX], marked);
    const listeners = [
      { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap' as const, upstreamCa: dovecot.caPath },
      { name: 'starttls', upstream: `localhost:${dovecot.ports.imap}`, protocol: 'imap' as const, tls: 'starttls' as const, upstreamTls: 'starttls' as const, upstreamCa: dovecot.caPath },
    ];
    sameSize = await startTestProxy(listeners, { scanner: markerScanner(SAME) });
    longer = await startTestProxy(listeners, { scanner: markerScanner(LONGER) });
  });

  after(async () => {
    await sameSize?.close();
    await longer?.close();
    await dovecot?.stop();
  });

  it('the whole mailbox (200 mixed + a 21 MiB message) via imapflow and imaplib equals a direct fetch, marker replaced', async () => {
    const expected = messages.map((message) => sha256(replaced(message, SAME)));
    const viaFlow = await imapflowFetchAll({ host: '127.0.0.1', port: sameSize.port('imaps'), secure: true, caPem: sameSize.caPem, user: 'alice', password: 'secret' });
    assert.deepEqual(viaFlow.map((message) => message.sha256), expected);
    assert.equal(viaFlow[markedUid - 1].size, messages[markedUid - 1].length, 'same-size replacement keeps the size');
    const viaStartTls = await imapflowFetchAll({ host: '127.0.0.1', port: sameSize.port('starttls'), secure: false, doSTARTTLS: true, caPem: sameSize.caPem, user: 'alice', password: 'secret' });
    assert.deepEqual(viaStartTls.map((message) => message.sha256), expected);
    const viaPython = await pythonImap({ host: '127.0.0.1', port: longer.port('imaps'), mode: 'implicit', caPath: longer.caPath, user: 'alice', password: 'secret' });
    assert.deepEqual(viaPython.map((message) => message.sha256), messages.map((message) => sha256(replaced(message, LONGER))));
  });

  it('single parts: BODY[1], BINARY[1] and BODY[2] are framed exactly like the direct answer, marker replaced', async () => {
    const command = `UID FETCH ${markedUid} (BODY.PEEK[1] BINARY.PEEK[1] BODY.PEEK[2])`;
    const direct = await RawImap.open(dovecot.ports.imaps, dovecot.caPem);
    await direct.run('EXAMINE INBOX');
    const viaProxy = await RawImap.open(sameSize.port('imaps'), sameSize.caPem);
    await viaProxy.run('EXAMINE INBOX');
    const directText = withoutTimings(await direct.run(command));
    const expected = directText.split(MARKER).join(SAME);
    assert.equal(withoutTimings(await viaProxy.run(command)), expected);
    const viaLonger = await RawImap.open(longer.port('imaps'), longer.caPem);
    await viaLonger.run('EXAMINE INBOX');
    const grown = await viaLonger.run(command);
    const part1 = literalAfter(grown, 'BODY[1]');
    assert.deepEqual(part1, replaced(literalAfter(directText, 'BODY[1]'), LONGER));
    assert.ok(part1.toString('latin1').includes(LONGER), 'the longer replacement is framed with its new length');
    assert.deepEqual(literalAfter(grown, 'BODY[2]'), literalAfter(expected, 'BODY[2]'));
    for (const client of [direct, viaProxy, viaLonger]) client.close();
  });

  it('Thunderbird-style 64 KiB chunks reassemble to exactly the scanned message, and RFC822.SIZE matches', async () => {
    for (const [proxy, by] of [[sameSize, SAME], [longer, LONGER]] as const) {
      const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem);
      await imap.run('SELECT INBOX');
      for (const uid of [markedUid, bigUid]) {
        const scanned = replaced(messages[uid - 1], by);
        const chunks: Buffer[] = [];
        let reportedSize = -1;
        for (let origin = 0; ; origin += 65536) {
          const response = await imap.run(`UID FETCH ${uid} (UID RFC822.SIZE BODY.PEEK[]<${origin}.65536>)`);
          reportedSize = Number(/RFC822\.SIZE (\d+)/.exec(response)?.[1]);
          const chunk = literalAfter(response, `BODY[]<${origin}>`);
          chunks.push(chunk);
          if (chunk.length < 65536) break;
        }
        assert.equal(reportedSize, scanned.length, `RFC822.SIZE of UID ${uid}`);
        assert.equal(sha256(Buffer.concat(chunks)), sha256(scanned), `chunks of UID ${uid}`);
      }
      const pastEnd = await imap.run(`UID FETCH ${markedUid} (BODY.PEEK[]<${10 * MiB}.65536>)`);
      assert.equal(literalAfter(pastEnd, `BODY[]<${10 * MiB}>`).length, 0);
      imap.close();
    }
  });

  it('pipelined commands come back in order, byte-identical to the direct session apart from the marker', async () => {
    const script = ['EXAMINE INBOX', `UID FETCH ${markedUid} (FLAGS BODY.PEEK[])`, 'NOOP', 'UID FETCH 2:4 (UID BODY.PEEK[1])', 'UID FETCH 5 (FLAGS)', 'CHECK'];
    const direct = await RawImap.open(dovecot.ports.imaps, dovecot.caPem);
    const viaProxy = await RawImap.open(sameSize.port('imaps'), sameSize.caPem);
    assert.equal(withoutTimings(await viaProxy.pipeline(script)), withoutTimings(await direct.pipeline(script)).split(MARKER).join(SAME));
    direct.close();
    viaProxy.close();
  });

  it('a mailbox with a non-ASCII name is scanned like INBOX', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: sameSize.port('imaps'), secure: true, servername: 'localhost', tls: { ca: sameSize.caPem, servername: 'localhost' }, auth: { user: 'alice', pass: 'secret' }, logger: false });
    await client.connect();
    try {
      await client.mailboxOpen(UNICODE_MAILBOX, { readOnly: true });
      const message = await client.fetchOne('1', { uid: true, source: true }, { uid: true });
      assert.ok(message && message.source);
      assert.equal(sha256(message.source), sha256(replaced(messages[markedUid - 1], SAME)));
    } finally {
      await client.logout();
    }
  });

  it('a message delivered during IDLE appears, and a 30 MiB APPEND streams through to the server unchanged', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: sameSize.port('imaps'), secure: true, servername: 'localhost', tls: { ca: sameSize.caPem, servername: 'localhost' }, auth: { user: 'alice', pass: 'secret' }, logger: false });
    await client.connect();
    try {
      const mailbox = await client.mailboxOpen('INBOX');
      const existsBefore = mailbox.exists;
      const arrived = new Promise<number>((resolve) => client.on('exists', (data: { count: number }) => resolve(data.count)));
      const idling = client.idle();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const delivered = withAttachments({ seed: 777, subject: 'delivered during IDLE', text: `late ${MARKER}` });
      dovecot.seed('alice', [delivered]);
      assert.equal(await arrived, existsBefore + 1);
      const fetched = await client.fetchOne(String(existsBefore + 1), { source: true });
      assert.ok(fetched && fetched.source);
      assert.equal(sha256(fetched.source), sha256(replaced(delivered, SAME)));
      await idling.catch(() => undefined);

      const appended = bigMessage(30 * MiB, { seed: 31, extra: [`X-Marker: ${MARKER}`] });
      const result = await client.append('INBOX', appended);
      assert.ok(result && typeof result === 'object' && result.uid);
      const direct = new ImapFlow({ host: '127.0.0.1', port: dovecot.ports.imaps, secure: true, servername: 'localhost', tls: { ca: dovecot.caPem, servername: 'localhost' }, auth: { user: 'alice', pass: 'secret' }, logger: false });
      await direct.connect();
      await direct.mailboxOpen('INBOX', { readOnly: true });
      const stored = await direct.fetchOne(String(result.uid), { source: true }, { uid: true });
      const storedMarked = await direct.fetchOne(String(markedUid), { source: true }, { uid: true });
      await direct.logout();
      assert.ok(stored && stored.source && storedMarked && storedMarked.source);
      assert.equal(sha256(stored.source), sha256(appended), 'APPEND reached the server byte for byte (client→server bodies are not rewritten)');
      assert.equal(sha256(storedMarked.source), sha256(messages[markedUid - 1]), 'the server copy is unchanged');
    } finally {
      await client.logout();
    }
  });
});

describe('COMPRESS=DEFLATE never reaches the client', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;

  before(async () => {
    dovecot = await startDovecot({ extraConfig: COMPRESS_DEFLATE_CONFIG });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }]);
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('is removed from the greeting, CAPABILITY and the LOGIN OK, and COMPRESS is refused without breaking the session', async () => {
    const direct = await RawImap.open(dovecot.ports.imaps, dovecot.caPem, false);
    const directText = (await direct.run('LOGIN alice secret')) + (await direct.run('CAPABILITY'));
    assert.match(directText, /COMPRESS=DEFLATE/, 'the real server offers it');
    direct.close();

    const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem, false);
    const greeting = imap.client.text();
    const login = await imap.run('LOGIN alice secret');
    const capability = await imap.run('CAPABILITY');
    const refused = await imap.run('COMPRESS DEFLATE');
    const after = await imap.run('NOOP');
    assert.doesNotMatch(greeting + login + capability + refused + after, /COMPRESS=/);
    assert.match(login, /OK/);
    assert.match(capability, /\* CAPABILITY IMAP4rev1 /);
    assert.match(refused, /^t3 NO /m);
    assert.match(after, /t4 OK/);
    imap.close();
  });
});
