import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { curlFetch, imapflowFetchAll, pythonImap, pythonPop, sha256 } from '../helpers/clients.js';
import { mixedMailbox } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';

const skip = requireAll(requireDovecot(), requireCommand('curl', 'curl'), requireCommand('python3', 'python3'));
const USER = { user: 'alice', password: 'secret' };

describe('relay through inboxguard is byte-identical to a direct fetch', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  let seeded: string[];

  before(async () => {
    const messages = mixedMailbox(30);
    seeded = messages.map(sha256);
    dovecot = await startDovecot({ messages: { alice: messages } });
    const upstreamCa = dovecot.caPath;
    const at = (port: number) => `localhost:${port}`;
    proxy = await startTestProxy([
      { name: 'imaps', upstream: at(dovecot.ports.imaps), protocol: 'imap', tls: 'implicit', upstreamTls: 'implicit', upstreamCa },
      { name: 'imap-starttls', upstream: at(dovecot.ports.imap), protocol: 'imap', tls: 'starttls', upstreamTls: 'starttls', upstreamCa },
      { name: 'imap-plain-client', upstream: at(dovecot.ports.imap), protocol: 'imap', tls: 'none', upstreamTls: 'starttls', upstreamCa },
      { name: 'pop3s', upstream: at(dovecot.ports.pop3s), protocol: 'pop3', tls: 'implicit', upstreamTls: 'implicit', upstreamCa },
      { name: 'pop3-stls', upstream: at(dovecot.ports.pop3), protocol: 'pop3', tls: 'starttls', upstreamTls: 'starttls', upstreamCa },
      { name: 'auto-pop3s', upstream: at(dovecot.ports.pop3s), protocol: 'auto', tls: 'implicit', upstreamTls: 'implicit', upstreamCa },
    ]);
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  const client = (name: string) => ({ host: '127.0.0.1', port: proxy.port(name), caPath: proxy.caPath, ...USER });

  it('imapflow over IMAPS and over STARTTLS', async () => {
    const direct = await imapflowFetchAll({ host: '127.0.0.1', port: dovecot.ports.imaps, secure: true, caPem: dovecot.caPem, user: 'alice', password: 'secret' });
    assert.deepEqual(direct.map((message) => message.sha256), seeded);
    const viaTls = await imapflowFetchAll({ host: '127.0.0.1', port: proxy.port('imaps'), secure: true, caPem: proxy.caPem, user: 'alice', password: 'secret' });
    assert.deepEqual(viaTls.map((message) => [message.uid, message.sha256]), direct.map((message) => [message.uid, message.sha256]));
    const viaStartTls = await imapflowFetchAll({ host: '127.0.0.1', port: proxy.port('imap-starttls'), secure: false, doSTARTTLS: true, caPem: proxy.caPem, user: 'alice', password: 'secret' });
    assert.deepEqual(viaStartTls.map((message) => message.sha256), seeded);
  });

  it('python imaplib over IMAPS, STARTTLS, and a plaintext client side with TLS upstream', async () => {
    for (const [listener, mode] of [['imaps', 'implicit'], ['imap-starttls', 'starttls'], ['imap-plain-client', 'plain']] as const) {
      const fetched = await pythonImap({ ...client(listener), mode });
      assert.deepEqual(fetched.map((message) => message.sha256), seeded, listener);
    }
    const log = await proxy.logText();
    assert.match(log, /"listener":"imap-plain-client"[^\n]*"tls":"TLSv1\.[23]"[^\n]*"msg":"upstream TLS established"/);
  });

  it('python poplib over POP3S, STLS, and a protocol-detecting listener', async () => {
    for (const [listener, mode] of [['pop3s', 'implicit'], ['pop3-stls', 'starttls'], ['auto-pop3s', 'implicit']] as const) {
      const fetched = await pythonPop({ ...client(listener), mode });
      assert.deepEqual(fetched.map((message) => message.sha256), seeded, listener);
    }
  });

  it('curl over imaps://, pop3s:// and STARTTLS with --ssl-reqd', async () => {
    const options = { caPath: proxy.caPath, ...USER };
    const viaImaps = await curlFetch(`imaps://localhost:${proxy.port('imaps')}/INBOX;UID=3`, options);
    assert.equal(sha256(viaImaps), seeded[2]);
    const viaStartTls = await curlFetch(`imap://localhost:${proxy.port('imap-starttls')}/INBOX;UID=4`, { ...options, sslReqd: true });
    assert.equal(sha256(viaStartTls), seeded[3]);
    const viaPop3s = await curlFetch(`pop3s://localhost:${proxy.port('pop3s')}/5`, options);
    const viaStls = await curlFetch(`pop3://localhost:${proxy.port('pop3-stls')}/5`, { ...options, sslReqd: true });
    const directPop = await curlFetch(`pop3s://localhost:${dovecot.ports.pop3s}/5`, { ...options, caPath: dovecot.caPath });
    assert.equal(sha256(viaPop3s), sha256(directPop));
    assert.equal(sha256(viaStls), sha256(directPop));
  });

  it('never logs credentials', async () => {
    const log = await proxy.logText();
    assert.ok(log.length > 0);
    assert.doesNotMatch(log, /secret/);
  });
});
