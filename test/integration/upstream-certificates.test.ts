import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type CertKind, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireDovecot } from '../helpers/require-servers.js';

const skip = requireDovecot();
const BAD_KINDS: CertKind[] = ['expired', 'wrong-host', 'untrusted'];

describe('an upstream certificate that does not verify ends the session with a clear client-visible error', { skip }, () => {
  const servers = new Map<CertKind, DovecotServer>();
  let proxy: TestProxy;
  let closedPort: number;

  before(async () => {
    const started = await Promise.all(BAD_KINDS.map((certKind) => startDovecot({ certKind })));
    BAD_KINDS.forEach((kind, index) => servers.set(kind, started[index]));
    closedPort = await unusedPort();
    proxy = await startTestProxy([
      ...BAD_KINDS.flatMap((kind) => {
        const dovecot = servers.get(kind) as DovecotServer;
        const base = { upstreamCa: dovecot.caPath, tls: 'implicit' as const };
        return [
          { ...base, name: `imaps-${kind}`, upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap' as const, upstreamTls: 'implicit' as const },
          { ...base, name: `imap-starttls-${kind}`, upstream: `localhost:${dovecot.ports.imap}`, protocol: 'imap' as const, upstreamTls: 'starttls' as const },
          { ...base, name: `pop3s-${kind}`, upstream: `localhost:${dovecot.ports.pop3s}`, protocol: 'pop3' as const, upstreamTls: 'implicit' as const },
        ];
      }),
      { name: 'unreachable', upstream: `127.0.0.1:${closedPort}`, protocol: 'imap', upstreamTls: 'implicit' },
    ]);
  });

  after(async () => {
    await proxy?.close();
    await Promise.all([...servers.values()].map((server) => server.stop()));
  });

  for (const kind of BAD_KINDS) {
    it(`${kind}: IMAPS, IMAP with upstream STARTTLS, and POP3S are refused`, async () => {
      for (const listener of [`imaps-${kind}`, `imap-starttls-${kind}`]) {
        const client = await RawClient.connect(proxy.port(listener), { tls: { ca: proxy.caPem } });
        const text = await client.waitForEnd();
        assert.match(text, /^\* BYE \[ALERT\] inboxguard: upstream certificate for localhost not trusted: .+\r\n$/, listener);
        assert.doesNotMatch(text, /Dovecot/, 'no server data reaches the client');
      }
      const pop = await RawClient.connect(proxy.port(`pop3s-${kind}`), { tls: { ca: proxy.caPem } });
      assert.match(await pop.waitForEnd(), /^-ERR inboxguard: upstream certificate for localhost not trusted: .+\r\n$/);
    });
  }

  it('names the reason in the event log', async () => {
    const log = await proxy.logText();
    assert.match(log, /"kind":"certificate","code":"CERT_HAS_EXPIRED"/);
    assert.match(log, /"kind":"certificate","code":"ERR_TLS_CERT_ALTNAME_INVALID"/);
    assert.match(log, /"kind":"certificate","code":"(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)"/);
  });

  it('an unreachable upstream is a clear error too', async () => {
    const client = await RawClient.connect(proxy.port('unreachable'), { tls: { ca: proxy.caPem } });
    assert.equal(await client.waitForEnd(), `* BYE [ALERT] inboxguard: upstream 127.0.0.1:${closedPort} refused the connection\r\n`);
  });
});

function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
