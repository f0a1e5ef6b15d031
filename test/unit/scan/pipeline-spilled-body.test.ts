// A body spilled to disk is scanned by a worker that reads the spool file itself: this thread never
// assembles it (counted by the spool and the pool), not even for the quarantine, which copies the spool
// file (in the kernel) before the stripped message is delivered.
// Real scan workers, the builtin engine, a real spool file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { BodySpool, spoolCounters } from '../../../src/proxy/body-spool.js';
import { createScanSetup, type ScanSetup } from '../../../src/scan/create-pipeline.js';
import { scanPayloads } from '../../../src/scan/worker-pool.js';
import { Quarantine, quarantineDir } from '../../../src/store/quarantine.js';
import { posixModes } from '../../../src/private-files.js';
import { bigMessage, withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';

const KiB = 1024;
const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', mailbox: 'INBOX', uidValidity: '1', uid: 7 };
const clean = bigMessage(2 * 1024 * KiB);
const infected = withAttachments({ seed: 8, attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }, { filename: 'big.bin', contentType: 'application/octet-stream', content: bigMessage(600 * KiB) }] });

/** A spool that spills beyond 64 KiB, fed as a socket would. */
async function spilled(message: Buffer): Promise<BodySpool> {
  const spool = new BodySpool(64 * KiB);
  for (let offset = 0; offset < message.length; offset += 16 * KiB) spool.append(message.subarray(offset, offset + 16 * KiB));
  await spool.finish();
  assert.equal(spool.spilled, true);
  return spool;
}

function counted() {
  return { assembled: spoolCounters.assembledBytes, spilledFile: scanPayloads.spilledFile, cloned: scanPayloads.cloned };
}

describe('a spilled body and the scan workers', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-spilled-'));
  let setup: ScanSetup;
  before(async () => {
    setup = await createScanSetup(configSchema.parse({}), dataDir, undefined, undefined, { workers: true });
  });
  after(async () => {
    await setup.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a clean one goes to the worker as its file and is delivered unchanged, never assembled on this thread', async () => {
    const spool = await spilled(clean);
    const before = counted();
    const result = await setup.pipeline.scan(spool, { ...CONTEXT });
    assert.deepEqual(result, { changed: false, clean: true });
    assert.deepEqual(counted(), { ...before, spilledFile: before.spilledFile + 1 });
    spool.dispose();
  });

  it('an infected one is found by the worker from the file and quarantined from the file; this thread never reads it', async () => {
    const spool = await spilled(infected);
    let reads = 0;
    const readAll = spool.readAll.bind(spool);
    spool.readAll = () => {
      reads++;
      return readAll();
    };
    const before = counted();
    const result = await setup.pipeline.scan(spool, { ...CONTEXT });
    assert.equal(result.changed, true);
    assert.ok(result.changed && !result.content.includes(EICAR), 'the infected part was stripped');
    const after = counted();
    assert.equal(after.spilledFile, before.spilledFile + 1);
    assert.equal(after.cloned, before.cloned);
    assert.equal(after.assembled, before.assembled, 'no chunk was assembled here');
    assert.equal(reads, 0, 'the body was not read into this thread');
    spool.dispose();
    const quarantine = new Quarantine(quarantineDir(dataDir));
    const [entry] = quarantine.list();
    assert.equal(entry.size, infected.length);
    assert.deepEqual(quarantine.original(entry.id), infected, 'the quarantined original is the message byte for byte');
    if (posixModes) assert.equal(statSync(join(quarantineDir(dataDir), `${entry.id}.eml`)).mode & 0o777, 0o600);
  });

  it('an infected one whose spool keeps a tail in memory (the disk refused the rest) is quarantined as file + tail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inboxguard-tail-'));
    try {
      const source = join(dir, 'spool');
      writeFileSync(source, Buffer.concat([infected.subarray(0, 100_000), Buffer.from('bytes past what the spool counts')]), { mode: 0o600 });
      const quarantine = new Quarantine(join(dir, 'quarantine'));
      const { record, durable } = quarantine.beginFromFile({ path: source, fileBytes: 100_000, tail: infected.subarray(100_000) }, { verdict: 'infected', detections: [], action: 'strip' }, new Date(), 'a'.repeat(64));
      await durable;
      assert.equal(record.size, infected.length);
      assert.deepEqual(quarantine.original(record.id), infected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
