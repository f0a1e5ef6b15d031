// The pipeline lends a body held on a pooled segment to the scan worker and gives it back when nothing
// delivered or kept refers to it: its segment then goes back to the pool with the spool. A message that is
// rewritten and quarantined gives it back too: the rewrite lies in memory of its own and the quarantine's
// copy is durable before the verdict. Real scan workers, the builtin engine.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { createScanSetup, type ScanSetup } from '../../../src/scan/create-pipeline.js';
import { SegmentPool } from '../../../src/scan/segment-pool.js';
import { mixedMailbox, withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';
import { pooledSpool } from '../../helpers/pooled-spool.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', mailbox: 'INBOX', uidValidity: '1', uid: 7 };
const infected = withAttachments({ seed: 8, attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });

describe('the scan pipeline and pooled bodies', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-pooled-pipeline-'));
  let setup: ScanSetup;
  before(async () => {
    setup = await createScanSetup(configSchema.parse({}), dataDir, undefined, undefined, { workers: true });
  });
  after(async () => {
    await setup.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('clean messages give their segments back, and the next ones reuse them', async () => {
    const segments = new SegmentPool();
    const messages = mixedMailbox(6, 11);
    for (const message of messages) {
      const spool = pooledSpool(message, segments);
      assert.deepEqual(await setup.pipeline.scan(spool, { ...CONTEXT }), { changed: false, clean: true });
      assert.ok(Buffer.concat([...spool.memoryRange()]).equals(message));
      spool.dispose();
    }
    const { allocated, reused, dropped } = segments.counters;
    assert.equal(allocated + reused, messages.length);
    assert.equal(dropped, 0);
    assert.ok(reused > 0, `reused ${reused} of ${messages.length}`);
  });

  it('a rewritten, quarantined message gives its segment back, and the next body reusing it leaves the rewrite intact', async () => {
    const segments = new SegmentPool();
    const spool = pooledSpool(infected, segments);
    const result = await setup.pipeline.scan(spool, { ...CONTEXT });
    assert.equal(result.changed, true);
    const delivered = Buffer.from(result.content!);
    spool.dispose();
    assert.deepEqual({ ...segments.counters, idleBytes: undefined }, { allocated: 1, reused: 0, dropped: 0, idleBytes: undefined });
    // The next body of that size is spooled onto the same segment.
    const next = pooledSpool(Buffer.alloc(infected.length, 'x'), segments);
    assert.equal(segments.counters.reused, 1);
    assert.ok(result.content!.equals(delivered), 'what was delivered is unchanged');
    next.dispose();
  });
});
