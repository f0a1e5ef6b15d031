// A rewritten (infected) message costs the shared memory no more than a clean one: its body's pooled
// segment goes back to the pool once the quarantine's copy is durable, and the rewrite comes back from the
// scan worker in memory of its own (transferred), not on a fresh shared buffer. Either one, fresh each
// fetch, forced full collections on both threads about every second infected fetch of 10 MB.
// Real scan workers, the builtin engine, the real quarantine; no sockets.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { createScanSetup } from '../../../src/scan/create-pipeline.js';
import { segmentPool } from '../../../src/scan/segment-pool.js';
import { sharedMemory } from '../../../src/scan/shared-memory-collection.js';
import { bigMessage, withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';
import { pooledSpool } from '../../helpers/pooled-spool.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', mailbox: 'INBOX', uidValidity: '1', uid: 9 };
const padding = bigMessage(1024 * 1024);
const infected = withAttachments({
  seed: 12,
  subject: 'infected',
  attachments: [
    { filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR },
    { filename: 'padding.eml', contentType: 'message/rfc822', content: padding },
  ],
});
const clean = withAttachments({ seed: 12, subject: 'clean', attachments: [{ filename: 'padding.eml', contentType: 'message/rfc822', content: padding }] });

describe('an infected fetch and shared memory', () => {
  it('repeated fetches of an infected message take no fresh shared memory and reuse their body segment', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-infected-shared-'));
    const setup = await createScanSetup(configSchema.parse({}), dataDir, undefined, undefined, { workers: true });
    try {
      const fetch = async (message: Buffer) => {
        const spool = pooledSpool(message, segmentPool);
        const result = await setup.pipeline.scan(spool, { ...CONTEXT });
        spool.dispose();
        return result;
      };
      // The first fetch writes the quarantine entry and starts the worker.
      const first = await fetch(infected);
      assert.equal(first.changed, true);
      const delivered = Buffer.from(first.content!);
      assert.equal(delivered.length, infected.length, 'the rewrite keeps the size');
      assert.ok(!delivered.includes(Buffer.from(EICAR)), 'the virus is gone');
      const pool = segmentPool.counters;
      const shared = sharedMemory.counters;
      const held: Buffer[] = [];
      for (let round = 0; round < 6; round++) {
        const result = await fetch(round % 3 === 2 ? clean : infected);
        if (round % 3 === 2) {
          assert.equal(result.changed, false);
          continue;
        }
        assert.equal(result.changed, true);
        assert.ok(!(result.content!.buffer instanceof SharedArrayBuffer), 'the rewrite is not on shared memory');
        assert.ok(result.content!.equals(delivered), `round ${round}: the same rewrite`);
        held.push(result.content!);
      }
      const after = segmentPool.counters;
      assert.equal(after.allocated, pool.allocated, 'no segment allocated: each body reused the one the previous body gave back');
      assert.equal(after.reused - pool.reused, 6);
      assert.equal(after.dropped, pool.dropped, 'no segment left the pool');
      assert.equal(sharedMemory.counters.bytes, shared.bytes, 'no fresh shared memory taken on by this thread');
      assert.equal(sharedMemory.counters.collections, shared.collections, 'no collection forced');
      // What was delivered earlier is untouched by the bodies scanned since (no memory is shared with them).
      for (const content of held) assert.ok(content.equals(delivered));
    } finally {
      await setup.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
