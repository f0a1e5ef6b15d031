// Bodies held in memory on pooled segments (segment-pool.ts), the way a session uses them: spooled as they
// arrive, lent whole to the scan (readAll / doneWith), written to the client through the OrderedWriter,
// disposed once handed to the socket. Segments come back and are reused, no collection is forced, and
// a segment is never reused while a socket write, the scan's caller or a scanned copy still holds it.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { AccountScannedCopies } from '../../../src/proxy/account-scanned-copies.js';
import { OrderedWriter } from '../../../src/proxy/ordered-writer.js';
import { SegmentPool, segmentPool, segmentSizeFor } from '../../../src/scan/segment-pool.js';
import { sharedMemory } from '../../../src/scan/shared-memory-collection.js';
import { pooledSpool } from '../../helpers/pooled-spool.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A client socket stand-in that completes each write a turn later and records the bytes as they are then. */
class LaggingSocket extends Writable {
  readonly delivered: Buffer[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    setImmediate(() => {
      this.delivered.push(Buffer.from(chunk));
      callback();
    });
  }
}

function body(index: number): Buffer {
  // Three size classes, bytes that differ from body to body.
  const size = [40_000, 300_000, 1_500_000][index % 3] + index;
  return Buffer.alloc(size, `body ${index} `);
}

describe('pooled body segments', () => {
  it('a bulk-like run reuses segments, forces no collection, and delivers every body as it came', async () => {
    const segments = new SegmentPool();
    const socket = new LaggingSocket();
    const writer = new OrderedWriter(socket, (error) => assert.fail(error), () => undefined, segments);
    const sharedBefore = sharedMemory.counters;
    const bodies = Array.from({ length: 60 }, (_, index) => body(index));
    for (const [index, original] of bodies.entries()) {
      const spool = pooledSpool(original, segments);
      const lent = await spool.readAll();
      assert.ok(lent.equals(original));
      spool.doneWith(lent);
      for (const chunk of spool.memoryRange()) writer.write(chunk);
      await writer.whenIdle();
      // Disposed while the socket still holds the write: the writer's pin keeps the segment.
      spool.dispose();
      await turn();
    }
    await writer.whenDelivered();
    assert.ok(Buffer.concat(socket.delivered).equals(Buffer.concat(bodies)), 'every body reached the client unchanged');
    const { allocated, reused, dropped } = segments.counters;
    assert.equal(allocated + reused, bodies.length);
    assert.ok(allocated <= 9, `at most a few segments per size class were allocated (${allocated})`);
    assert.equal(dropped, 0);
    assert.equal(sharedMemory.counters.bytes, sharedBefore.bytes, 'no shared memory outside the pool');
    assert.equal(sharedMemory.counters.collections, sharedBefore.collections, 'no collection forced');
  });

  it('a body disposed while its write is pending keeps its segment until the socket is done', async () => {
    const segments = new SegmentPool();
    const socket = new LaggingSocket();
    const writer = new OrderedWriter(socket, (error) => assert.fail(error), () => undefined, segments);
    const first = pooledSpool(body(0), segments);
    for (const chunk of first.memoryRange()) writer.write(chunk);
    first.dispose();
    // Same size class, spooled before the write completed.
    const second = pooledSpool(body(3), segments);
    assert.equal(segments.counters.reused, 0);
    await writer.whenDelivered();
    assert.ok(Buffer.concat(socket.delivered).equals(body(0)));
    second.dispose();
    assert.equal(segments.counters.idleBytes, segmentSizeFor(body(0).length) + segmentSizeFor(body(3).length));
  });

  it('a body lent by readAll() keeps its segment until given back', async () => {
    const segments = new SegmentPool();
    const original = body(1);
    const spool = pooledSpool(original, segments);
    const lent = await spool.readAll();
    const next = pooledSpool(body(4), segments);
    assert.notEqual((await next.readAll()).buffer, lent.buffer);
    spool.doneWith(lent);
    assert.equal(segments.counters.idleBytes, 0, 'the spool still holds it');
    spool.dispose();
    assert.equal(segments.counters.idleBytes, lent.buffer.byteLength);
  });

  it('a body still lent when its spool is disposed leaves the pool for good (the borrower may keep it)', async () => {
    const segments = new SegmentPool();
    const original = body(1);
    const spool = pooledSpool(original, segments);
    const lent = await spool.readAll();
    spool.dispose();
    assert.equal(segments.counters.dropped, 1);
    assert.equal(segments.pooled(lent), false);
    spool.doneWith(lent);
    assert.equal(segments.counters.idleBytes, 0);
    assert.ok(lent.equals(original));
  });

  it('a body whose whole buffer was asked for (inMemory) never goes back to the pool', () => {
    const segments = new SegmentPool();
    const spool = pooledSpool(body(0), segments);
    const kept = spool.inMemory()!;
    spool.dispose();
    assert.equal(segments.counters.dropped, 1);
    assert.equal(segments.pooled(kept), false);
  });

  it('a write that failed lets go of what was queued behind it', async () => {
    const segments = new SegmentPool();
    const socket = new Writable({
      write: (_chunk, _encoding, callback) => setImmediate(() => callback(new Error('connection reset'))),
    });
    socket.on('error', () => undefined);
    let failed = false;
    const writer = new OrderedWriter(socket, () => (failed = true), () => undefined, segments);
    const spool = pooledSpool(body(2), segments);
    writer.writeSource((async function* () {
      await turn();
      yield Buffer.from('header');
    })());
    // Queued behind the source: pinned by the writer.
    for (const chunk of spool.memoryRange()) writer.write(chunk);
    spool.dispose();
    assert.equal(segments.counters.idleBytes, 0);
    for (let i = 0; i < 20 && segments.counters.idleBytes === 0; i++) await turn();
    assert.ok(failed);
    assert.equal(segments.counters.idleBytes, segmentSizeFor(body(2).length), 'back in the pool once the writer dropped it');
  });

  it('a scanned copy kept in memory holds the body’s segment until it is freed', async () => {
    const copies = await AccountScannedCopies.open({ maxBytes: 64 * 1024 * 1024, memoryBytes: 64 * 1024 * 1024 });
    try {
      const original = body(3);
      const spool = pooledSpool(original, segmentPool);
      await spool.finish();
      const store = copies.forUpstream('imap.example:993');
      const key = { mailbox: 'INBOX', uidValidity: '1', uid: 7, section: 'BODY[]' };
      const intake = store.offer('alice', key, original.length, false)!;
      const put = intake.put(spool.memoryRange());
      spool.dispose();
      await put;
      const reused = pooledSpool(body(6), segmentPool);
      const copy = store.take('alice', key)!;
      assert.ok(Buffer.concat([...(copy.read(0, copy.size) as Iterable<Buffer>)]).equals(original), 'the copy is still the body');
      copy.release();
      reused.dispose();
      const idle = segmentPool.counters.idleBytes;
      copies.clear();
      assert.equal(segmentPool.counters.idleBytes, idle + segmentSizeFor(original.length), 'freed with the copy');
    } finally {
      await copies.close();
    }
  });
});
