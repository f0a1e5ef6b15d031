// A scan worker asks the main thread for a part's stored verdict only when the filter of the store's
// SHA-256s (KnownHashes, on shared memory) says the store may hold one. Real scan workers, a real
// verdict store: a verdict stored before a scan is seen by it, a forgotten one is scanned again, and a
// filter rebuilt bigger reaches the running workers. Round trips are counted by the pool.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { KnownHashes } from '../../../src/scan/analysis/known-hashes.js';
import { ScanWorkerPool } from '../../../src/scan/worker-pool.js';
import { VerdictStore, type VerdictRecord } from '../../../src/store/verdicts.js';
import { randomBytesFromSeed, withAttachments } from '../../helpers/messages.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]' };
const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-verdict-lookups-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const sha = (content: Buffer) => createHash('sha256').update(content).digest('hex');
const malicious = (sha256: string): VerdictRecord => ({ sha256, verdict: 'malicious', backend: 'sandbox', name: 'Sandbox.Test', decidedAt: Date.now(), source: 'engine' });
const message = (seed: number, content: Buffer) => withAttachments({ seed, attachments: [{ filename: `part-${seed}.bin`, contentType: 'application/octet-stream', content }] });

function poolOn(store: VerdictStore, known?: KnownHashes): ScanWorkerPool {
  const data = { config: configSchema.parse({}), dataDir, engineNames: ['builtin' as const], verdicts: true };
  return new ScanWorkerPool(1, data, undefined, { lookup: (sha256) => store.get(sha256), known });
}

function analysisFindings(evaluation: { inspection: { findings: { engine: string }[] } }): string[] {
  return evaluation.inspection.findings.map((finding) => finding.engine).filter((engine) => engine.startsWith('analysis:'));
}

describe('verdict lookups from the scan workers', () => {
  it('new parts cost no round trip; a stored verdict is seen by the next scan; a forgotten one is scanned again', async () => {
    const store = VerdictStore.open(join(dataDir, 'a'));
    const known = new KnownHashes(store);
    const workers = poolOn(store, known);
    try {
      const content = randomBytesFromSeed(5000, 41);
      const first = await workers.evaluate(message(1, content), CONTEXT);
      assert.equal(first.inspection.verdict, 'clean');
      assert.equal(workers.verdictLookups, 0, 'no part of a new message was asked about');

      assert.ok(store.put(malicious(sha(content))));
      const second = await workers.evaluate(message(2, content), CONTEXT);
      assert.equal(second.inspection.verdict, 'infected');
      assert.deepEqual(analysisFindings(second), ['analysis:sandbox'], 'the stored verdict blocked the part');
      assert.equal(workers.verdictLookups, 1, 'only the stored part was asked about');

      assert.ok(store.forget(sha(content)));
      const third = await workers.evaluate(message(3, content), CONTEXT);
      assert.equal(third.inspection.verdict, 'clean', 'scanned again after the forget');
      assert.deepEqual(analysisFindings(third), []);
      assert.equal(workers.verdictLookups, 2, 'a forgotten hash stays in the filter: one lookup, answered "none"');
    } finally {
      await workers.close();
      known.close();
      store.close();
    }
  });

  it('a verdict stored with its part size blocks that part in a worker; parts of other sizes are not even asked about', async () => {
    const store = VerdictStore.open(join(dataDir, 'sized'));
    const known = new KnownHashes(store);
    const workers = poolOn(store, known);
    try {
      const content = randomBytesFromSeed(5000, 46);
      assert.ok(store.put({ ...malicious(sha(content)), size: content.length }));
      const blocked = await workers.evaluate(message(8, content), CONTEXT);
      assert.deepEqual(analysisFindings(blocked), ['analysis:sandbox']);
      assert.equal(workers.verdictLookups, 1);
      const clean = await workers.evaluate(message(9, randomBytesFromSeed(5001, 47)), CONTEXT);
      assert.equal(clean.inspection.verdict, 'clean');
      assert.equal(workers.verdictLookups, 1, 'no lookup for parts whose size no verdict has');
    } finally {
      await workers.close();
      known.close();
      store.close();
    }
  });

  it('without the filter every part is a round trip (what the filter saves)', async () => {
    const store = VerdictStore.open(join(dataDir, 'b'));
    const workers = poolOn(store);
    try {
      await workers.evaluate(message(4, randomBytesFromSeed(5000, 42)), CONTEXT);
      assert.ok(workers.verdictLookups >= 2, `the text part and the attachment are both asked about (${workers.verdictLookups})`);
    } finally {
      await workers.close();
      store.close();
    }
  });

  it('verdicts stored when the store already holds many, and after the filter grew, reach a running worker', async () => {
    const store = VerdictStore.open(join(dataDir, 'c'));
    store.putMany(Array.from({ length: 3000 }, () => malicious(randomBytes(32).toString('hex'))));
    const known = new KnownHashes(store);
    const workers = poolOn(store, known);
    try {
      const before = randomBytesFromSeed(4000, 43);
      await workers.evaluate(message(5, before), CONTEXT);
      assert.equal(workers.verdictLookups, 0);
      assert.equal(known.rebuilds, 1);

      // Past the filter's room (twice the store, at least 4096): a bigger one is built and posted to the worker.
      store.putMany(Array.from({ length: 6000 }, () => malicious(randomBytes(32).toString('hex'))));
      assert.ok(known.rebuilds >= 2, `rebuilt ${known.rebuilds} times`);
      const after = randomBytesFromSeed(4000, 44);
      store.put(malicious(sha(after)));
      const evaluation = await workers.evaluate(message(6, after), CONTEXT);
      assert.deepEqual(analysisFindings(evaluation), ['analysis:sandbox']);
      assert.equal(workers.stats.started, 1, 'the same worker, told about the new filter');
      const clean = await workers.evaluate(message(7, randomBytesFromSeed(4000, 45)), CONTEXT);
      assert.equal(clean.inspection.verdict, 'clean');
      assert.ok(workers.verdictLookups <= 2, `new parts still answered by the filter (${workers.verdictLookups} lookups)`);
    } finally {
      await workers.close();
      known.close();
      store.close();
    }
  });
});
