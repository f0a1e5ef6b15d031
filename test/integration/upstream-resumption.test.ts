import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { upstreamTlsCounters } from '../../src/proxy/upstream.js';
import { imapflowFetchAll, sha256 } from '../helpers/clients.js';
import { mixedMailbox } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireDovecot } from '../helpers/require-servers.js';

const skip = requireDovecot();

describe('upstream TLS sessions are resumed by the next connection to the same upstream', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  let seeded: string[];

  before(async () => {
    const messages = mixedMailbox(3);
    seeded = messages.map(sha256);
    dovecot = await startDovecot({ messages: { alice: messages } });
    const upstreamCa = dovecot.caPath;
    proxy = await startTestProxy([
      { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', tls: 'implicit', upstreamTls: 'implicit', upstreamCa },
      { name: 'imap-starttls', upstream: `localhost:${dovecot.ports.imap}`, protocol: 'imap', tls: 'starttls', upstreamTls: 'starttls', upstreamCa },
    ]);
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('a second IMAPS and STARTTLS connection resumes, and delivers the same bytes', async () => {
    for (const [listener, secure] of [['imaps', true], ['imap-starttls', false]] as const) {
      const options = { host: '127.0.0.1', port: proxy.port(listener), secure, doSTARTTLS: !secure, caPem: proxy.caPem, user: 'alice', password: 'secret' };
      const first = await imapflowFetchAll(options);
      const before = { ...upstreamTlsCounters };
      const second = await imapflowFetchAll(options);
      assert.equal(upstreamTlsCounters.handshakes - before.handshakes, 1, listener);
      assert.equal(upstreamTlsCounters.resumed - before.resumed, 1, `${listener}: the second connection resumed the first one's session`);
      assert.deepEqual(first.map((message) => message.sha256), seeded);
      assert.deepEqual(second.map((message) => message.sha256), seeded);
    }
  });

});
