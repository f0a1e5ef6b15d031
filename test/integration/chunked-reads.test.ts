// Issue 15 "chunked reads fetch the message twice": a Thunderbird-style read (RFC822.SIZE first, then
// BODY.PEEK[]<0.65536>, <65536.65536>, … up to that size) through the proxy must not make Dovecot send
// the message more than once: the first chunk fetches it whole for the scan, later chunks come from
// the scanned copy. Counted in bytes (the proxy's session statistics vs what a direct client reads).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { bigMessage } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireDovecot } from '../helpers/require-servers.js';

const skip = requireDovecot();
const CHUNK = 65536;
const SIZES = [40_000, 70_000, 130_000, 200_000, 64_000, 65_536, 300_000, 90_000, 150_000, 20_000, 250_000, 100_000, 180_000, 66_000, 120_000];

/** Reads every message in chunks as Thunderbird does; returns the reassembled messages and the bytes read from the peer. */
async function chunkedRead(port: number, ca: string): Promise<{ messages: string[]; bytes: number }> {
  const client = await RawClient.connect(port, { tls: { ca, servername: 'localhost' } });
  let tag = 0;
  const run = async (command: string): Promise<string> => {
    const t = `c${++tag}`;
    const from = client.text().length;
    client.write(`${t} ${command}\r\n`);
    await client.waitFor(new RegExp(`^${t} OK.*\\r\\n`, 'm'), { from, timeoutMs: 20_000 });
    return client.text().slice(from);
  };
  try {
    await client.waitFor(/^\* OK.*\r\n/m);
    await run('LOGIN alice secret');
    await run('SELECT INBOX');
    const messages: string[] = [];
    for (let uid = 1; uid <= SIZES.length; uid++) {
      let size = Number.POSITIVE_INFINITY;
      const parts: string[] = [];
      for (let origin = 0; origin < size; origin += CHUNK) {
        const answer = await run(`UID FETCH ${uid} (UID RFC822.SIZE FLAGS BODY.PEEK[]<${origin}.${CHUNK}>)`);
        size = Number(/RFC822\.SIZE (\d+)/.exec(answer)?.[1]);
        const literal = /BODY\[\]<\d+> \{(\d+)\}\r\n/.exec(answer);
        assert.ok(literal, `chunk ${origin} of ${uid}: ${answer.slice(0, 200)}`);
        const start = literal.index + literal[0].length;
        parts.push(answer.slice(start, start + Number(literal[1])));
      }
      messages.push(parts.join(''));
    }
    await run('LOGOUT');
    return { messages, bytes: Buffer.byteLength(client.text(), 'latin1') };
  } finally {
    client.close();
  }
}

describe('Thunderbird-style chunked reads (real Dovecot)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: SIZES.map((size, i) => bigMessage(size, { seed: i + 1 })) } });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `127.0.0.1:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], { scanner: 'pipeline' });
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('the server sends each message once: at most 1.05 times the bytes of a direct chunked read', async () => {
    const direct = await chunkedRead(dovecot.ports.imaps, dovecot.caPem);
    const proxied = await chunkedRead(proxy.port('imaps'), proxy.caPem);
    assert.deepEqual(proxied.messages, direct.messages, 'the same messages, chunk for chunk');
    let fromServer: number | undefined;
    for (let attempt = 0; attempt < 50 && fromServer === undefined; attempt++) {
      const closed = (await proxy.logText()).split('\n').filter((line) => line.includes('"session closed"'));
      fromServer = closed.length > 0 ? (JSON.parse(closed[closed.length - 1]) as { bytesFromServer?: number }).bytesFromServer : undefined;
    }
    assert.ok(fromServer !== undefined, 'the proxy logged the session statistics');
    const ratio = fromServer / direct.bytes;
    assert.ok(ratio <= 1.05, `Dovecot sent ${fromServer} bytes through the proxy against ${direct.bytes} to a direct client (${ratio.toFixed(3)}×)`);
  });
});
