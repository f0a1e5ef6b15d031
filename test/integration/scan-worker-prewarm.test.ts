// Issue 15 (imaptest rows): a scan worker starts when a session is about to fetch bodies (IMAP FETCH of
// envelopes, structures or sections; POP3 RETR, TOP), not when it logs in, selects, idles, synchronises
// flags or polls for new mail, so the first body does not wait for a worker's start and 1,000 idle
// sessions still hold no worker. Counted with the pool's own counters.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { RawImap } from '../helpers/imap-raw.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireDovecot } from '../helpers/require-servers.js';

const skip = requireDovecot();
const MESSAGE = withAttachments({ seed: 67, subject: 'prewarm', attachments: [{ filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('nothing here\r\n') }] }).toString('latin1');

describe('scan worker prewarm (real Dovecot, real proxy)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy | undefined;

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: [Buffer.from(MESSAGE, 'latin1')] } });
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  const start = async () => {
    await proxy?.close();
    proxy = await startTestProxy(
      [
        { name: 'imaps', upstream: `127.0.0.1:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath },
        { name: 'pop3s', upstream: `127.0.0.1:${dovecot.ports.pop3s}`, protocol: 'pop3', upstreamCa: dovecot.caPath },
      ],
      { scanner: 'pipeline' },
    );
    return proxy;
  };

  it('IMAP: none after LOGIN, SELECT and IDLE; none after FETCH FLAGS, one after FETCH ENVELOPE, and the body uses it', async () => {
    const running = await start();
    const workers = running.scanWorkers!;
    const imap = await RawImap.open(running.port('imaps'), running.caPem);
    try {
      await imap.run('SELECT INBOX');
      const from = imap.client.text().length;
      imap.client.write('i1 IDLE\r\n');
      await imap.client.waitFor(/^\+ .*\r\n/m, { from });
      assert.equal(workers.liveWorkers, 0, 'idling starts no worker');
      imap.client.write('DONE\r\n');
      await imap.client.waitFor(/^i1 OK.*\r\n/m, { from });
      assert.deepEqual([workers.liveWorkers, workers.stats.started], [0, 0]);
      assert.match(await imap.run('FETCH 1:* (FLAGS)'), /\* 1 FETCH \(FLAGS/);
      assert.deepEqual([workers.liveWorkers, workers.stats.started], [0, 0], 'a flag synchronisation starts none');
      assert.match(await imap.run('FETCH 1:* (ENVELOPE)'), /\* 1 FETCH \(ENVELOPE/);
      assert.deepEqual([workers.liveWorkers, workers.stats.started], [1, 1], 'FETCH ENVELOPE started one worker');
      const body = await imap.run('UID FETCH 1 BODY.PEEK[]');
      assert.ok(body.includes(MESSAGE), 'the message arrives unchanged');
      assert.deepEqual(workers.stats, { started: 1, cancelled: 0, crashed: 0 }, 'the body was scanned by the prewarmed worker');
    } finally {
      imap.close();
    }
  });

  it('POP3: none after USER, PASS and a poll (STAT, UIDL); one for RETR, whose body it scans', async () => {
    const running = await start();
    const workers = running.scanWorkers!;
    const client = await RawClient.connect(running.port('pop3s'), { tls: { ca: running.caPem } });
    try {
      const run = async (command: string) => {
        const from = client.text().length;
        client.write(`${command}\r\n`);
        return client.waitFor(/^[+-].*\r\n/m, { from });
      };
      await client.waitFor(/^\+OK.*\r\n/m);
      await run('USER alice');
      assert.match(await run('PASS secret'), /^\+OK/m);
      assert.deepEqual([workers.liveWorkers, workers.stats.started], [0, 0]);
      assert.match(await run('STAT'), /^\+OK 1 /m);
      const from = client.text().length;
      client.write('UIDL\r\n');
      await client.waitFor(/^\.\r\n/m, { from });
      assert.deepEqual([workers.liveWorkers, workers.stats.started], [0, 0], 'a poll starts no worker');
      const retrFrom = client.text().length;
      client.write('RETR 1\r\n');
      await client.waitFor(/^\.\r\n/m, { from: retrFrom });
      assert.ok(client.text().slice(retrFrom).includes(MESSAGE), 'the message arrives unchanged');
      assert.deepEqual([workers.liveWorkers, workers.stats.started], [1, 1]);
    } finally {
      client.close();
    }
  });
});
