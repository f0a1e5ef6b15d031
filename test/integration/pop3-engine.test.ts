import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { pythonPop, sha256 } from '../helpers/clients.js';
import { startFakePop3Server, writeHugeRetr } from '../helpers/fake-pop3-server.js';
import { MARKER, markerScanner } from '../helpers/marker-scanner.js';
import { dotLines, mixedMailbox, plainText } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';

const skip = requireAll(requireDovecot(), requireCommand('python3', 'python3'));
const CRLF = '\r\n';

function withMarker(text: string): Buffer {
  const base = plainText({ subject: 'marked' }).toString('latin1');
  return Buffer.from(`${base}.${MARKER} on a dot-stuffed line${CRLF}${text}${CRLF}`, 'latin1');
}

describe('POP3 through inboxguard with a rewriting test scanner', { skip }, () => {
  let dovecot: DovecotServer;
  let sameSize: TestProxy;
  let longer: TestProxy;
  let messages: Buffer[];
  const LONGER = `${CRLF}.${CRLF}..${CRLF}.replaced, and longer`;

  before(async () => {
    messages = [dotLines(), withMarker('tail'), ...mixedMailbox(6)];
    dovecot = await startDovecot({ messages: { alice: messages } });
    const listener = { name: 'pop3s', upstream: `localhost:${dovecot.ports.pop3s}`, protocol: 'pop3' as const, upstreamCa: dovecot.caPath };
    sameSize = await startTestProxy([listener], { scanner: markerScanner() });
    longer = await startTestProxy([listener], { scanner: markerScanner(LONGER) });
  });

  after(async () => {
    await sameSize?.close();
    await longer?.close();
    await dovecot?.stop();
  });

  const replaced = (message: Buffer, by: string) => Buffer.from(message.toString('latin1').split(MARKER).join(by), 'latin1');

  it('pipelined UIDL, LIST, RETR 1, RETR 2, TOP 3 5 in one write match a direct session, marker replaced', async () => {
    const script = `USER alice${CRLF}PASS secret${CRLF}UIDL${CRLF}LIST${CRLF}RETR 1${CRLF}RETR 2${CRLF}TOP 3 5${CRLF}QUIT${CRLF}`;
    const run = async (port: number, ca: string) => {
      const client = await RawClient.connect(port, { tls: { ca } });
      await client.waitFor(/^\+OK[^\r]*\r\n/);
      const greetingLength = client.text().length;
      client.write(script);
      return (await client.waitForEnd()).slice(greetingLength);
    };
    const direct = await run(dovecot.ports.pop3s, dovecot.caPem);
    const proxied = await run(sameSize.port('pop3s'), sameSize.caPem);
    assert.ok(direct.includes(MARKER));
    assert.equal(proxied, direct.split(MARKER).join('X'.repeat(MARKER.length)));
  });

  it('poplib over the proxy: clean messages byte-identical, the marked one rewritten and correctly re-stuffed', async () => {
    for (const [proxy, by] of [[sameSize, 'X'.repeat(MARKER.length)], [longer, LONGER]] as const) {
      const fetched = await pythonPop({ host: '127.0.0.1', port: proxy.port('pop3s'), mode: 'implicit', caPath: proxy.caPath, user: 'alice', password: 'secret' });
      assert.deepEqual(
        fetched.map((message) => message.sha256),
        messages.map((message) => sha256(replaced(message, by))),
      );
    }
  });
});

describe('POP3 against a fault-injecting fake server', () => {
  it('a body cut off by the server, and a garbage status line, give the client a clear -ERR; the proxy stays up', async () => {
    const truncated = await startFakePop3Server((socket) => socket.end(`+OK 100 octets${CRLF}Subject: cut${CRLF}${CRLF}half a bo`));
    const garbage = await startFakePop3Server((socket) => socket.write(`HELLO I AM NOT POP3${CRLF}`));
    const proxy = await startTestProxy([
      { name: 'truncated', upstream: `127.0.0.1:${truncated.port}`, protocol: 'pop3', tls: 'none', upstreamTls: 'none' },
      { name: 'garbage', upstream: `127.0.0.1:${garbage.port}`, protocol: 'pop3', tls: 'none', upstreamTls: 'none' },
    ]);
    try {
      for (const name of ['truncated', 'garbage', 'truncated']) {
        const client = await RawClient.connect(proxy.port(name));
        await client.waitFor(/^\+OK/);
        client.write(`USER a${CRLF}PASS b${CRLF}RETR 1${CRLF}`);
        const text = await client.waitForEnd();
        assert.match(text, /\r\n-ERR inboxguard: [^\r]+\r\n$/, `${name}: ${text}`);
        assert.doesNotMatch(text, /half a bo|HELLO/, 'no partial or garbage data is handed on as if it were a message');
      }
    } finally {
      await proxy.close();
      await truncated.close();
      await garbage.close();
    }
  });

  // The proxy's memory during this transfer is measured by scripts/bench/unit-timings.ts --pop3-huge-body.
  it('a 1 GB body streams through unscanned, and an event says so', async () => {
    const TOTAL = 1024 * 1024 * 1024;
    const huge = await startFakePop3Server((socket) => writeHugeRetr(socket, TOTAL));
    const proxy = await startTestProxy([{ name: 'huge', upstream: `127.0.0.1:${huge.port}`, protocol: 'pop3', tls: 'none', upstreamTls: 'none' }], {
      settings: { scan: { maxMessageBytes: 32 * 1024 * 1024, memoryBufferBytes: 4 * 1024 * 1024 } },
    });
    try {
      const client = await RawClient.countingConnect(proxy.port('huge'));
      client.write(`USER a${CRLF}PASS b${CRLF}RETR 1${CRLF}`);
      const received = await client.waitForBytes(TOTAL, `${CRLF}.${CRLF}`, 120_000);
      client.close();
      assert.ok(received >= TOTAL, `received ${received} bytes`);
      assert.match(await proxy.logText(), /"type":"body-unscanned"[^\n]*"reason":"too-large"/);
    } finally {
      await proxy.close();
      await huge.close();
    }
  });
});
