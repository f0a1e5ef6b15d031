// KnownHashes keeps the filter of the verdict store's SHA-256s as the store changes: verdicts there at
// start, stored locally, applied from another machine ('remote'), and a bigger filter when it fills.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KnownHashFilter } from '../../../src/scan/analysis/known-hash-filter.js';
import { KnownHashes } from '../../../src/scan/analysis/known-hashes.js';
import { VerdictStore, type VerdictRecord } from '../../../src/store/verdicts.js';

const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-known-hashes-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const newSha = () => randomBytes(32).toString('hex');
const record = (sha256: string): VerdictRecord => ({ sha256, verdict: 'malicious', backend: 'sandbox', decidedAt: Date.now(), source: 'engine' });

describe('KnownHashes', () => {
  it('holds what the store held at start and every verdict stored after, local or remote', () => {
    const store = VerdictStore.open(join(dataDir, 'a'));
    const before = newSha();
    store.put(record(before));
    const known = new KnownHashes(store);
    // What a worker sees: its own view of the same memory.
    const worker = () => new KnownHashFilter(known.buffer);
    try {
      const local = newSha();
      const remote = newSha();
      assert.equal(worker().mayContain(local), false);
      store.put(record(local));
      store.put(record(remote), 'remote');
      assert.ok(worker().mayContain(before), 'stored before the filter was built');
      assert.ok(worker().mayContain(local), 'stored here');
      assert.ok(worker().mayContain(remote), 'applied from another machine');
      assert.equal(known.rebuilds, 1);
    } finally {
      known.close();
      store.close();
    }
  });

  it('a full filter is rebuilt from the store, twice as big, and the workers are handed the new one', () => {
    const store = VerdictStore.open(join(dataDir, 'b'));
    const known = new KnownHashes(store);
    const handed: SharedArrayBuffer[] = [];
    known.onReplaced((buffer) => handed.push(buffer));
    try {
      const first = known.buffer;
      const hashes = Array.from({ length: 5000 }, newSha);
      store.putMany(hashes.map((sha256) => record(sha256)));
      assert.equal(known.rebuilds, 2, 'past 4096 entries');
      assert.equal(handed.length, 1);
      assert.equal(handed[0], known.buffer);
      assert.ok(known.buffer.byteLength > first.byteLength);
      const filter = new KnownHashFilter(known.buffer);
      assert.ok(hashes.every((sha256) => filter.mayContain(sha256)), 'every verdict is in the new filter');
    } finally {
      known.close();
      store.close();
    }
  });

  it('after close it no longer follows the store', () => {
    const store = VerdictStore.open(join(dataDir, 'c'));
    const known = new KnownHashes(store);
    known.close();
    const sha256 = newSha();
    store.put(record(sha256));
    assert.equal(new KnownHashFilter(known.buffer).mayContain(sha256), false);
    store.close();
  });
});
