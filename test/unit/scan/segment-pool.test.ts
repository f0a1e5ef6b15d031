// The pool of shared-memory segments: a segment is handed out again only once every pin on it is gone,
// never after it escaped; segments beyond the idle bound, and idle ones nobody took for a while, leave
// the pool and are handed to the collector (and announced to the threads that may hold handles).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SegmentPool, segmentSizeFor, MAX_REUSE_RATIO, MIN_POOLED_SEGMENT_BYTES } from '../../../src/scan/segment-pool.js';
import { SharedMemoryCollector } from '../../../src/scan/shared-memory-collection.js';

function manualTimers() {
  const pending: (() => void)[] = [];
  return {
    after: (_ms: number, work: () => void) => {
      pending.push(work);
      return { cancel: () => pending.splice(pending.indexOf(work), 1) };
    },
    fire: () => pending.splice(0).forEach((work) => work()),
    get pending() {
      return pending.length;
    },
  };
}

function pool(maxIdleBytes = 64 * 1024 * 1024) {
  const collector = new SharedMemoryCollector(Number.POSITIVE_INFINITY, undefined);
  const timers = manualTimers();
  return { segments: new SegmentPool(maxIdleBytes, collector, timers.after), collector, timers };
}

describe('segment pool', () => {
  it('sizes segments in classes √2 apart, in multiples of the minimum', () => {
    assert.equal(segmentSizeFor(1), MIN_POOLED_SEGMENT_BYTES);
    assert.equal(segmentSizeFor(MIN_POOLED_SEGMENT_BYTES + 1), 2 * MIN_POOLED_SEGMENT_BYTES);
    assert.equal(segmentSizeFor(2 * MIN_POOLED_SEGMENT_BYTES + 1), 3 * MIN_POOLED_SEGMENT_BYTES);
    for (let length = 1; length < 8 * 1024 * 1024; length = Math.ceil(length * 1.3)) {
      const size = segmentSizeFor(length);
      assert.ok(size >= length && size % MIN_POOLED_SEGMENT_BYTES === 0, `${length} -> ${size}`);
      assert.ok(size < Math.SQRT2 * length + MIN_POOLED_SEGMENT_BYTES, `${length} -> ${size}: about √2 times the length at most`);
    }
  });

  it('hands a body the smallest idle segment that holds it, up to MAX_REUSE_RATIO times its class', () => {
    const { segments } = pool();
    const MiB = 1024 * 1024;
    const [small, large] = [segments.take(MiB), segments.take(2 * MiB)];
    segments.unpin(large);
    segments.unpin(small);
    assert.ok(segments.take(MiB).buffer === small.buffer, 'the smallest that holds it');
    assert.ok(segments.take(MiB).buffer === large.buffer, 'one of a larger class than its own');
    const big = segments.take(4 * MiB);
    segments.unpin(big);
    assert.ok(big.buffer.byteLength > MAX_REUSE_RATIO * segmentSizeFor(MiB / 2));
    assert.ok(segments.take(MiB / 2).buffer !== big.buffer, 'beyond MAX_REUSE_RATIO times its class: a fresh one');
    assert.deepEqual(segments.counters, { allocated: 4, reused: 2, dropped: 0, idleBytes: big.buffer.byteLength });
  });

  it('hands a segment out again once its last pin is gone, and not before', () => {
    const { segments } = pool();
    const first = segments.take(100_000);
    assert.equal(first.length, 100_000);
    assert.ok(segments.pin(first.subarray(10, 20)), 'a view of it pins the same segment');
    segments.unpin(first);
    const whilePinned = segments.take(100_000);
    assert.notEqual(whilePinned.buffer, first.buffer, 'still pinned by the view');
    segments.unpin(first);
    const again = segments.take(90_000);
    assert.equal(again.buffer, first.buffer, 'same size class, reused');
    assert.deepEqual({ ...segments.counters, idleBytes: undefined }, { allocated: 2, reused: 1, dropped: 0, idleBytes: undefined });
  });

  it('pins nothing for bytes that are not its own, or no longer in use', () => {
    const { segments } = pool();
    assert.equal(segments.pin(Buffer.alloc(10)), false);
    assert.equal(segments.pin(Buffer.from(new SharedArrayBuffer(10))), false);
    const taken = segments.take(10);
    segments.unpin(taken);
    assert.equal(segments.pin(taken), false, 'an idle segment cannot be pinned through a stale view');
    assert.equal(segments.pooled(taken), false);
  });

  it('never reuses an escaped segment, and hands it to the collector', () => {
    const { segments, collector } = pool();
    const taken = segments.take(50_000);
    segments.escape(taken);
    segments.unpin(taken);
    assert.notEqual(segments.take(50_000).buffer, taken.buffer);
    assert.equal(collector.counters.bytes, taken.buffer.byteLength);
    assert.equal(segments.counters.dropped, 1);
  });

  it('keeps idle segments up to its bound; the rest leave and are announced', () => {
    const size = segmentSizeFor(1024 * 1024);
    const { segments, collector } = pool(2 * size);
    const dropped: number[] = [];
    segments.onDrop((bytes) => dropped.push(bytes));
    const taken = [segments.take(size), segments.take(size), segments.take(size)];
    for (const bytes of taken) segments.unpin(bytes);
    assert.deepEqual(dropped, [size]);
    assert.equal(segments.counters.idleBytes, 2 * size);
    assert.equal(collector.counters.bytes, size);
  });

  it('lets idle segments go when nobody took one for a while', () => {
    const { segments, timers } = pool();
    const dropped: number[] = [];
    segments.onDrop((bytes) => dropped.push(bytes));
    segments.unpin(segments.take(1000));
    assert.equal(timers.pending, 1);
    segments.unpin(segments.take(1000));
    timers.fire();
    assert.deepEqual(dropped, [], 'a segment was taken meanwhile: looked at again later');
    assert.equal(timers.pending, 1);
    timers.fire();
    assert.deepEqual(dropped, [MIN_POOLED_SEGMENT_BYTES]);
    assert.equal(segments.counters.idleBytes, 0);
    assert.equal(timers.pending, 0);
  });
});
