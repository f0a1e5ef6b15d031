// Shared memory is not counted by V8's collection heuristics, so each thread counts the shared bytes it
// holds handles to and forces a full collection when they grow too far (src/scan/shared-memory-collection.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fullCollection, SharedMemoryCollector } from '../../../src/scan/shared-memory-collection.js';
import { receivedShared, sharedBuffer } from '../../../src/scan/shared-buffer.js';
import { SHARED_COLLECTION_THRESHOLD_BYTES, sharedMemory } from '../../../src/scan/shared-memory-collection.js';
import { BodySpool } from '../../../src/proxy/body-spool.js';

const MiB = 1024 * 1024;

/** Work the collector defers, run when the test says so. */
function deferred() {
  const queue: (() => void)[] = [];
  return {
    later: (work: () => void) => queue.push(work),
    runAll() {
      while (queue.length > 0) (queue.shift() as () => void)();
    },
    get pending() {
      return queue.length;
    },
  };
}

describe('shared memory collection', () => {
  it('asks for one collection when the uncollected shared bytes pass the threshold, not before and not twice', () => {
    const turns = deferred();
    let collections = 0;
    const collector = new SharedMemoryCollector(4 * MiB, () => collections++, turns.later);
    const kept: SharedArrayBuffer[] = [];
    for (let index = 0; index < 3; index++) kept.push(new SharedArrayBuffer(MiB));
    kept.forEach((buffer) => collector.took(buffer));
    assert.equal(turns.pending, 0, '3 MiB: below the threshold');
    kept.push(new SharedArrayBuffer(MiB));
    collector.took(kept[3]);
    assert.equal(turns.pending, 1, '4 MiB: one collection scheduled');
    kept.push(new SharedArrayBuffer(MiB));
    collector.took(kept[4]);
    assert.equal(turns.pending, 1, 'no second one while the first is pending');
    assert.equal(collections, 0, 'never inside took(): only after the current work');
    turns.runAll();
    assert.equal(collections, 1);
    assert.deepEqual(collector.counters, { bytes: 5 * MiB, collectedBytes: 0, collections: 1 });
  });

  it('measures the threshold from what was still in use after the last collection, so live bodies do not cause a collection each', () => {
    const turns = deferred();
    let collections = 0;
    const collector = new SharedMemoryCollector(4 * MiB, () => collections++, turns.later);
    // 6 MiB in use (nothing collects them: this test holds them).
    const live = Array.from({ length: 6 }, () => new SharedArrayBuffer(MiB));
    live.forEach((buffer) => collector.took(buffer));
    turns.runAll();
    assert.equal(collections, 1);
    assert.equal(collector.uncollectedBytes, 6 * MiB);
    const more = Array.from({ length: 3 }, () => new SharedArrayBuffer(MiB));
    more.forEach((buffer) => collector.took(buffer));
    assert.equal(turns.pending, 0, '3 MiB past the 6 in use: no collection yet');
    const last = new SharedArrayBuffer(MiB);
    collector.took(last);
    assert.equal(turns.pending, 1, '4 MiB past them: the next one');
    assert.equal(live.length + more.length, 9);
  });

  it('once bodies in use at the last collection are collected too, the threshold counts from what remains', async () => {
    const collect = fullCollection() as () => void;
    const turns = deferred();
    let forced = 0;
    const collector = new SharedMemoryCollector(4 * MiB, () => (forced++, collect()), turns.later);
    let live: SharedArrayBuffer[] = Array.from({ length: 10 }, () => new SharedArrayBuffer(MiB));
    live.forEach((buffer) => collector.took(buffer));
    turns.runAll();
    assert.equal(forced, 1);
    assert.equal(collector.uncollectedBytes, 10 * MiB, 'all ten were in use');
    live = [];
    collect();
    for (let turn = 0; turn < 10 && collector.uncollectedBytes > 0; turn++) await nextTurn();
    assert.equal(collector.uncollectedBytes, 0, 'V8 collected them (here: a collection of its own)');
    const more = Array.from({ length: 4 }, () => new SharedArrayBuffer(MiB));
    more.forEach((buffer) => collector.took(buffer));
    assert.equal(turns.pending, 1, '4 MiB past what remains (0), not past the 10 MiB in use back then');
    assert.equal(live.length, 0);
  });

  it('without a collection available it only counts', () => {
    const turns = deferred();
    const collector = new SharedMemoryCollector(MiB, undefined, turns.later);
    const buffers = Array.from({ length: 4 }, () => new SharedArrayBuffer(MiB));
    buffers.forEach((buffer) => collector.took(buffer));
    assert.equal(turns.pending, 0);
    assert.equal(collector.counters.bytes, 4 * MiB);
  });

  it('the full collection it forces frees the handles of dropped shared buffers, and the count follows', async () => {
    const collect = fullCollection();
    assert.ok(collect, 'a full collection is available in this Node');
    assert.equal((globalThis as { gc?: unknown }).gc, undefined, 'without leaving a gc global behind');
    const collector = new SharedMemoryCollector(8 * MiB, collect);
    // 40 MiB of segments taken on and dropped at once, as bodies are once delivered.
    const takeAndDrop = () => {
      for (let index = 0; index < 40; index++) collector.took(new SharedArrayBuffer(MiB));
    };
    takeAndDrop();
    for (let turn = 0; turn < 10 && collector.uncollectedBytes >= 8 * MiB; turn++) await nextTurn();
    assert.ok(collector.counters.collections >= 1, 'a collection was forced');
    assert.ok(collector.uncollectedBytes < 8 * MiB, `uncollected ${collector.uncollectedBytes / MiB} MiB after the forced collection`);
    assert.ok(collector.counters.collectedBytes > 32 * MiB, 'the dropped segments were collected');
  });

  it('every shared buffer this thread allocates or receives is counted', () => {
    const before = sharedMemory.counters.bytes;
    const buffer = sharedBuffer(1000);
    receivedShared(new Uint8Array(new SharedArrayBuffer(500), 100, 10));
    receivedShared(Buffer.alloc(700));
    receivedShared(undefined);
    assert.equal(sharedMemory.counters.bytes - before, 1500, 'the allocated buffer and the received shared one, not the ordinary buffer');
    assert.equal(buffer.length, 1000);
  });

  it('bodies spooled one after another leave at most the threshold of uncollected segments behind on this thread', async () => {
    const body = Buffer.alloc(2 * MiB, 'a');
    let most = 0;
    const before = sharedMemory.counters;
    // 150 bodies of 2 MiB, each in its own shared segment, held only while "delivered".
    for (let index = 0; index < 150; index++) {
      const spool = new BodySpool(16 * MiB, { announcedSize: body.length });
      for (let offset = 0; offset < body.length; offset += 256 * 1024) spool.append(body.subarray(offset, offset + 256 * 1024));
      await spool.finish();
      assert.equal((await spool.readAll()).length, body.length);
      spool.dispose();
      await nextTurn();
      most = Math.max(most, sharedMemory.uncollectedBytes);
    }
    const after = sharedMemory.counters;
    assert.ok(after.bytes - before.bytes >= 300 * MiB, 'every segment was counted');
    assert.ok(after.collections > before.collections, 'collections were forced');
    assert.ok(most <= SHARED_COLLECTION_THRESHOLD_BYTES + 2 * MiB, `at most ${most / MiB} MiB of segments uncollected at once`);
  });
});
