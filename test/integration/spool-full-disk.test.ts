import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { spoolCounters } from '../../src/proxy/body-spool.js';
import { curlFetch, sha256 } from '../helpers/clients.js';
import { literalAfter, RawImap } from '../helpers/imap-raw.js';
import { bigMessage, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { eventsPath, readEvents } from '../../src/store/events.js';
import { requireDovecot } from '../helpers/require-servers.js';

const MiB = 1024 * 1024;

/** A 2 MB tmpfs to be the spool's TMPDIR; a skip reason when the platform does not allow the mount (also under CI). */
function mountSmallTmpfs(): { dir: string } | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const reason = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    // A platform limit, not a missing package: without CAP_SYS_ADMIN (an unprivileged container) there is no small disk to fill.
    return { skip: `cannot mount a 2 MB tmpfs to fill (needs root with CAP_SYS_ADMIN): ${reason}` };
  }
}

const serversMissing = requireDovecot();
const tmpfs = serversMissing ? undefined : mountSmallTmpfs();
const skip = serversMissing || (tmpfs && 'skip' in tmpfs ? tmpfs.skip : false);
if (typeof skip === 'string' && !serversMissing) process.stderr.write(`SKIP full-disk spool test: ${skip}\n`);

describe('a full disk under the spool (TMPDIR on a 2 MB tmpfs, a 21 MB message)', { skip }, () => {
  const spoolDir = tmpfs && 'dir' in tmpfs ? tmpfs.dir : '';
  let dovecot: DovecotServer;
  let keeps: TestProxy;
  let fails: TestProxy;
  const originalTmpdir = process.env.TMPDIR;
  const big = bigMessage(21 * 1000 * 1000, { seed: 3 });
  const small = withAttachments({ seed: 4, text: 'small and clean' });

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: [big, small] } });
    const listener = { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap' as const, upstreamCa: dovecot.caPath };
    // Default scan.memoryBufferBytes (16 MiB): what misses the disk fits under the hard cap (2 × 16 MiB).
    keeps = await startTestProxy([listener], { scanner: 'pipeline' });
    // 4 MiB: the rest of the body is beyond the hard cap (8 MiB), so that one message fails.
    fails = await startTestProxy([listener], { scanner: 'pipeline', settings: { scan: { memoryBufferBytes: 4 * MiB } } });
    process.env.TMPDIR = spoolDir;
  });

  after(async () => {
    if (originalTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = originalTmpdir;
    await keeps?.close();
    await fails?.close();
    await dovecot?.stop();
    if (spoolDir) {
      execFileSync('umount', [spoolDir]);
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });

  async function fetchSmall(proxy: TestProxy): Promise<void> {
    const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem);
    await imap.run('EXAMINE INBOX');
    assert.equal(sha256(literalAfter(await imap.run('UID FETCH 2 BODY.PEEK[]'), 'BODY[]')), sha256(small));
    imap.close();
  }

  const fetchBig = (proxy: TestProxy) => curlFetch(`imaps://localhost:${proxy.port('imaps')}/INBOX;UID=1`, { caPath: proxy.caPath, user: 'alice', password: 'secret', timeoutMs: 120_000 });

  it('the spill hits ENOSPC, the rest of the body stays in memory, and the client (curl) gets the whole message', async () => {
    const before = { ...spoolCounters };
    const other = await RawImap.open(keeps.port('imaps'), keeps.caPem);
    assert.equal(sha256(await fetchBig(keeps)), sha256(big));
    assert.equal(spoolCounters.spillFailures - before.spillFailures, 1, 'the disk refused the spill');
    assert.equal(spoolCounters.failedBodies, before.failedBodies);
    // A session opened before the fault, and a new one, are both still served.
    await other.run('EXAMINE INBOX');
    assert.equal(sha256(literalAfter(await other.run('UID FETCH 2 BODY.PEEK[]'), 'BODY[]')), sha256(small));
    other.close();
    await fetchSmall(keeps);
  });

  it('beyond the hard cap only that message fails; the proxy keeps running and other sessions work', async () => {
    const before = { ...spoolCounters };
    // Never the message with a hole in it: curl sees the session end (or the command refused), not a success.
    await assert.rejects(fetchBig(fails));
    assert.equal(spoolCounters.failedBodies - before.failedBodies, 1, 'the body was failed, not held');
    const events = readEvents(eventsPath(fails.dataDir), { verdict: 'error' });
    assert.ok(events.some((event) => /message body of \d+\+ bytes lost: it could not be spilled to disk \(ENOSPC\)/.test(event.note ?? '')), 'an event names the lost body');
    await fetchSmall(fails);
    // tsx (the tests' TypeScript loader) keeps its cache there when a scan worker starts after TMPDIR was set.
    assert.deepEqual(readdirSync(spoolDir).filter((name) => !name.startsWith('tsx-')), [], 'nothing of the proxy left on the small disk');
  });
});
