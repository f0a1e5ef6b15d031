// The upstream's name is resolved once for a run of connections to it, and again after a connection
// to it failed (real Dovecot; the proxy in this process, so its lookup counter is readable).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { freePorts } from '../../scripts/test-servers/free-ports.js';
import { upstreamLookup } from '../../src/proxy/upstream.js';
import { RawImap } from '../helpers/imap-raw.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireDovecot } from '../helpers/require-servers.js';

const skip = requireDovecot();

describe('upstream name lookups', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: [Buffer.from('Subject: one\r\n\r\nbody\r\n')] } });
    const [unusedPort] = await freePorts(1);
    proxy = await startTestProxy([
      { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', tls: 'implicit', upstreamTls: 'implicit', upstreamCa: dovecot.caPath },
      { name: 'nobody-listens', upstream: `localhost:${unusedPort}`, protocol: 'imap', tls: 'implicit', upstreamTls: 'implicit', upstreamCa: dovecot.caPath },
    ]);
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('three sessions to one upstream resolve its name at most once; a refused connection makes the next one resolve it again', async () => {
    const before = upstreamLookup.resolutions;
    for (let index = 0; index < 3; index++) {
      const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem);
      assert.match(await imap.run('SELECT INBOX'), /\* 1 EXISTS/);
      await imap.run('LOGOUT');
      imap.close();
    }
    assert.ok(upstreamLookup.resolutions - before <= 1, `resolved ${upstreamLookup.resolutions - before} times`);

    // Both listeners name localhost: the first refused connection still finds the fresh answer, the
    // next one resolves again because that connection failed.
    const resolvedAfterRefused: number[] = [];
    for (let index = 0; index < 2; index++) {
      const client = await RawClient.connect(proxy.port('nobody-listens'), { tls: { ca: proxy.caPem } });
      assert.match(await client.waitForEnd(), /BYE .*refused/);
      client.close();
      resolvedAfterRefused.push(upstreamLookup.resolutions);
    }
    assert.equal(resolvedAfterRefused[1] - resolvedAfterRefused[0], 1, 'the connection after a refused one resolved the name again');
  });
});
