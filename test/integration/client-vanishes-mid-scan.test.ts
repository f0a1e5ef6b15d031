// One fault, one session (DESIGN.md principle 4): an IMAP client that vanishes while the proxy scans a
// large, spilled body. The scan is cancelled (nobody will receive it): no "scan failed" event, no
// error-level log line, no unhandled rejection, no spool file or directory left; another client of the
// same proxy fetches the same message meanwhile and afterwards. Real Dovecot, real imapflow clients,
// real scan workers with the builtin engine.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { spoolCounters } from '../../src/proxy/body-spool.js';
import { scanPayloads } from '../../src/scan/worker-pool.js';
import { eventsPath, readEvents } from '../../src/store/events.js';
import { logFilePath } from '../../src/store/log.js';
import { connectImapflow } from '../helpers/clients.js';
import { bigMessage } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireDovecot } from '../helpers/require-servers.js';
import { waitUntil } from '../helpers/wait-until.js';

const skip = requireDovecot();
const MiB = 1024 * 1024;
const BIG = bigMessage(6 * MiB, { seed: 45 });
const SMALL = bigMessage(40_000, { seed: 46 });
/** Step 3's message: BIG was found clean in step 2, and a message found clean is not scanned again (issue #15). */
const BIG2 = bigMessage(6 * MiB, { seed: 47 });
const PINO_ERROR = 50;

/** The proxy's log lines at error level or above. */
function errorLines(log: string): { level: number; msg: string }[] {
  return log
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((entry) => entry.level >= PINO_ERROR);
}

/** Starts BODY.PEEK[] of a UID and leaves it running: the client will vanish before the answer. */
async function startFetch(port: number, caPem: string, uid: number): Promise<ImapFlow> {
  const client = await connectImapflow(port, caPem);
  await client.mailboxOpen('INBOX');
  void client.fetchOne(String(uid), { source: true }, { uid: true }).catch(() => undefined);
  return client;
}

async function fetchWhole(port: number, caPem: string, uid: number): Promise<Buffer> {
  const client = await connectImapflow(port, caPem);
  try {
    await client.mailboxOpen('INBOX');
    const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
    assert.ok(message && message.source, `UID ${uid} was fetched`);
    return message.source;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

describe('a client that vanishes while its message is scanned (real Dovecot, spilled body)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  let spoolRoot: string;
  const originalTmpdir = process.env.TMPDIR;
  const escaped: unknown[] = [];
  const onEscape = (error: unknown): void => {
    escaped.push(error);
  };

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: [BIG, SMALL, BIG2] } });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `127.0.0.1:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], {
      scanner: 'pipeline',
      // The big body spills to a spool file, which a scan worker reads itself.
      settings: { scan: { memoryBufferBytes: 256 * 1024 } },
    });
    // Spool directories are made under the temp dir of the moment; count them in a root of this test's own.
    spoolRoot = mkdtempSync(join(tmpdir(), 'inboxguard-vanish-spool-root-'));
    process.env.TMPDIR = spoolRoot;
    process.on('unhandledRejection', onEscape);
    process.on('uncaughtException', onEscape);
  });

  after(async () => {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
    if (originalTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = originalTmpdir;
    await proxy?.close();
    await dovecot?.stop();
    if (spoolRoot) rmSync(spoolRoot, { recursive: true, force: true });
  });

  /** The spool directories left under the root (a worker's tsx cache may live there too; it is not ours). */
  async function spoolDirsLeft(): Promise<string[]> {
    const ours = () => readdirSync(spoolRoot).filter((name) => name.startsWith('inboxguard-spool-'));
    for (let attempt = 0; attempt < 200 && ours().length > 0; attempt++) await sleep(10);
    return ours();
  }

  it('the scan is cancelled: nothing misleading is reported, nothing is left, other sessions are served', async () => {
    const port = proxy.port('imaps');
    const spillsBefore = spoolCounters.spills;
    const handedOver = scanPayloads.spilledFile;

    // 1. The client vanishes once a scan worker has been handed the spool file (the first worker is
    //    still starting: it has not opened the file yet).
    const vanishing = await startFetch(port, proxy.caPem, 1);
    await waitUntil(() => scanPayloads.spilledFile > handedOver, 'the spilled body went to a scan worker');
    vanishing.close();

    // 2. Another client of the same account fetches the same message: whole, unchanged.
    assert.deepEqual(await fetchWhole(port, proxy.caPem, 1), BIG, 'another session gets the message');

    // 3. Again, with a warm worker: a client vanishes while its (spilled) body arrives or is scanned.
    const spills = spoolCounters.spills;
    const again = await startFetch(port, proxy.caPem, 3);
    await waitUntil(() => spoolCounters.spills > spills, 'the body started spilling');
    again.close();
    assert.deepEqual(await fetchWhole(port, proxy.caPem, 2), SMALL, 'a small message is served meanwhile');

    assert.ok(spoolCounters.spills - spillsBefore >= 3, 'the big body spilled each time');
    assert.deepEqual(await spoolDirsLeft(), [], 'no spool directory is left behind');

    const events = readEvents(eventsPath(proxy.dataDir));
    assert.deepEqual(
      events.filter((event) => event.verdict !== 'clean' || /scan failed/.test(event.note ?? '')),
      [],
      'no "scan failed" (or any non-clean) event',
    );
    assert.ok(events.filter((event) => event.uid === 1).length >= 1, 'the delivered copy of message 1 has its clean event');
    const log = await proxy.logText();
    assert.deepEqual(errorLines(log), [], 'nothing logged at error level');
    assert.match(log, /scan cancelled: the session that fetched the message ended/, 'the cancellation is logged (info)');
    assert.deepEqual(escaped, [], 'no unhandled rejection or exception');
  });

  it('the proxy stops while a spilled body is scanned: the scan is cancelled, no spool file is left', async () => {
    const dataDir = mkdtempSync(join(originalTmpdir ?? tmpdir(), 'inboxguard-vanish-stop-'));
    try {
      const stopping = await startTestProxy([{ name: 'imaps', upstream: `127.0.0.1:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], {
        scanner: 'pipeline',
        settings: { scan: { memoryBufferBytes: 256 * 1024 } },
        dataDir,
      });
      const handedOver = scanPayloads.spilledFile;
      const client = await startFetch(stopping.port('imaps'), stopping.caPem, 1);
      await waitUntil(() => scanPayloads.spilledFile > handedOver, 'the spilled body went to a scan worker');
      await stopping.close();
      client.close();
      assert.deepEqual(await spoolDirsLeft(), [], 'no spool directory is left behind');
      assert.deepEqual(
        readEvents(eventsPath(dataDir)).filter((event) => event.verdict !== 'clean'),
        [],
        'no "scan failed" event',
      );
      assert.deepEqual(errorLines(readFileSync(logFilePath(dataDir), 'utf8')), [], 'nothing logged at error level');
      assert.deepEqual(escaped, [], 'no unhandled rejection or exception');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
