// scan.timeoutSeconds through the proxy against real Dovecot: scans that never end (fault-injecting
// scan worker, chosen by a header of the message) are settled by scan.onError at the deadline, IMAP
// keep-alives continue until then, and the messages behind them are scanned as usual.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { eventsPath, readEvents } from '../../src/store/events.js';
import { pythonPop, sha256 } from '../helpers/clients.js';
import { faultInjectingWorkerEntry, FAULT_HEADER } from '../helpers/fault-injecting-scan-worker.js';
import { literalAfter, RawImap } from '../helpers/imap-raw.js';
import { mixedMailbox, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { EICAR } from '../unit/scan/archive/archive-builders.js';

const skip = requireAll(requireDovecot(), requireCommand('python3', 'python3'));

const infected = (seed: number, subject: string) => withAttachments({ seed, subject, attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
const stuck = (seed: number) => Buffer.concat([Buffer.from(`${FAULT_HEADER}: hang\r\n`), infected(seed, `stuck ${seed}`)]);
const [clean] = mixedMailbox(1);
const messages = [stuck(1), stuck(2), infected(3, 'plain virus'), clean];
const users = ['alice', 'bob', 'carol'].map((name) => ({ name, password: 'secret' }));

describe('scan deadline through the proxy (real Dovecot, fault-injecting scan worker)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;

  before(async () => {
    dovecot = await startDovecot({ users, messages: { alice: messages, bob: [stuck(4)], carol: [infected(5, 'another virus'), clean] } });
    proxy = await startTestProxy(
      [
        { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath },
        { name: 'pop3s', upstream: `localhost:${dovecot.ports.pop3s}`, protocol: 'pop3', upstreamCa: dovecot.caPath },
      ],
      {
        scanner: 'pipeline',
        workerEntry: faultInjectingWorkerEntry,
        settings: { scan: { timeoutSeconds: 3, onError: 'block', maxConcurrentScans: 2 }, imap: { keepaliveSeconds: 1 } },
      },
    );
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  /**
   * Hot reload of scan.timeoutSeconds: short for the stuck scans, long for real ones, which may have
   * to wait for a replaced worker to start (seconds under tsx on a busy machine).
   */
  const deadline = (timeoutSeconds: number) => proxy.live.replace({ ...proxy.live.current, scan: { ...proxy.live.current.scan, timeoutSeconds } });
  const pop = (user: string) => pythonPop({ host: '127.0.0.1', port: proxy.port('pop3s'), mode: 'implicit', caPath: proxy.caPath, user, password: 'secret' });
  const popEvents = (user: string) => readEvents(eventsPath(proxy.dataDir)).filter((event) => event.listener === 'pop3s' && event.user === user);

  it('IMAP: two stuck scans hold both workers until the deadline, then are blocked; later messages are scanned; keep-alives until then', async () => {
    const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem);
    try {
      deadline(3);
      await imap.run('SELECT INBOX');
      // The deadline counts the wait for a worker too: messages fetched with the stuck ones would wait
      // behind them and share their fate, so the next ones are fetched afterwards.
      const response = await imap.run('UID FETCH 1:2 (BODY.PEEK[])');
      assert.match(response, /^\* OK \[INPROGRESS[^\]]*\]/m, 'keep-alives while the scans are held');
      for (const uid of [1, 2]) {
        const delivered = literalAfter(response, `UID ${uid} BODY[]`).toString('latin1');
        assert.match(delivered, /^X-InboxGuard: timeout; engine=builtin; version=[^;]+; action=block\r$/m, `uid ${uid}`);
        assert.ok(!delivered.includes('EICAR-STANDARD'), `uid ${uid}: nothing unscanned reaches the client`);
      }
      deadline(120);
      const next = await imap.run('UID FETCH 3:4 (BODY.PEEK[])');
      const cleaned = literalAfter(next, 'UID 3 BODY[]').toString('latin1');
      assert.match(cleaned, /inboxguard removed this part: Eicar-Test-Signature/);
      assert.ok(!cleaned.includes('EICAR-STANDARD'), 'the infected part is gone');
      assert.equal(sha256(literalAfter(next, 'UID 4 BODY[]')), sha256(clean), 'the clean message is byte-identical');
      const events = readEvents(eventsPath(proxy.dataDir)).filter((event) => event.listener === 'imaps');
      assert.deepEqual(events.map((event) => [event.uid, event.verdict]).sort(), [[1, 'timeout'], [2, 'timeout'], [3, 'infected'], [4, 'clean']]);
      assert.match(events.find((event) => event.uid === 1)?.note ?? '', /scan\.timeoutSeconds \(3 s\)/);
    } finally {
      imap.close();
    }
  });

  it('POP3 (python poplib): the scan deadline settles a stuck message before pop3.maxHoldSeconds; the next session is scanned', async () => {
    deadline(3);
    assert.equal((await pop('bob')).length, 1);
    assert.deepEqual(popEvents('bob').map((event) => [event.verdict, event.actions]), [['timeout', ['block']]]);
    assert.match(popEvents('bob')[0].note ?? '', /scan\.timeoutSeconds \(3 s\)/, 'settled by the scan deadline, not by maxHold');
    deadline(120);
    const retrieved = await pop('carol');
    assert.equal(retrieved.length, 2);
    assert.equal(retrieved[1].sha256, sha256(clean), 'the clean message is byte-identical');
    assert.deepEqual(popEvents('carol').map((event) => event.verdict), ['infected', 'clean']);
  });
});
