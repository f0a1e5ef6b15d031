// Reusable shared-memory segments for bodies held in memory, owned by the thread that takes them (the
// proxy's main thread). A fresh SharedArrayBuffer per body costs its zero-filled pages (page faults on
// the first copy into it), and it is freed only once every thread that saw it has garbage-collected its
// handle, which V8 does not hurry (shared-memory-collection.ts forces it). A pooled segment is instead
// kept by the pool and handed to the next body once nothing can read it any more: every holder pins it
// (the spool, a scan worker until it replied or was stopped, a socket write until its callback, a scanned
// copy, a caller that borrowed the whole body) and unpins it when done. A segment whose bytes went
// somewhere nobody unpins (escape()) leaves the pool for good and is collected the ordinary way.
import { sharedMemory, type SharedMemoryCollector } from './shared-memory-collection.js';

/** The smallest segment handed out; smaller bodies get one of this size. */
export const MIN_POOLED_SEGMENT_BYTES = 16 * 1024;
/** Idle segments kept for reuse, at most (the same slack the collector allows dead shared memory). */
export const MAX_IDLE_SEGMENT_BYTES = 32 * 1024 * 1024;

export interface SegmentPoolCounters {
  /** Segments allocated fresh. */
  allocated: number;
  /** Segments handed out again after their last holder let go. */
  reused: number;
  /** Segments that left the pool: escaped, or not kept because the idle ones filled MAX_IDLE_SEGMENT_BYTES. */
  dropped: number;
  /** Bytes of idle segments held now. */
  idleBytes: number;
}

interface Segment {
  buffer: SharedArrayBuffer;
  pins: number;
}

export class SegmentPool {
  /** Idle segments by size (a power of two). */
  private readonly idle = new Map<number, SharedArrayBuffer[]>();
  /** Segments handed out and still pinned, by their buffer (any view's `.buffer` finds its segment). */
  private readonly busy = new WeakMap<ArrayBufferLike, Segment>();
  private readonly counts: SegmentPoolCounters = { allocated: 0, reused: 0, dropped: 0, idleBytes: 0 };

  constructor(
    private readonly maxIdleBytes = MAX_IDLE_SEGMENT_BYTES,
    /** Told about segments that leave the pool, so their collection is looked after like any other shared memory. */
    private readonly collector: SharedMemoryCollector = sharedMemory,
  ) {}

  get counters(): SegmentPoolCounters {
    return { ...this.counts };
  }

  /** `length` bytes on a pooled segment (its size rounded up to a power of two), pinned once for the caller. */
  take(length: number): Buffer {
    const size = segmentSizeFor(length);
    const reused = this.idle.get(size)?.pop();
    if (reused) {
      this.counts.reused++;
      this.counts.idleBytes -= size;
    } else {
      this.counts.allocated++;
    }
    const buffer = reused ?? new SharedArrayBuffer(size);
    this.busy.set(buffer, { buffer, pins: 1 });
    return Buffer.from(buffer, 0, length);
  }

  /** True when `bytes` lie on a segment of this pool still in use. */
  pooled(bytes: Uint8Array): boolean {
    return this.busy.has(bytes.buffer);
  }

  /** One more holder of the segment under `bytes` (nothing for other bytes); it must call unpin() once. */
  pin(bytes: Uint8Array): boolean {
    const segment = this.busy.get(bytes.buffer);
    if (!segment) return false;
    segment.pins++;
    return true;
  }

  /** A holder is done: the last one's segment goes back to the idle ones (or leaves the pool when they are full). */
  unpin(bytes: Uint8Array): void {
    const segment = this.busy.get(bytes.buffer);
    if (!segment) return;
    if (--segment.pins > 0) return;
    this.busy.delete(segment.buffer);
    const size = segment.buffer.byteLength;
    if (this.counts.idleBytes + size > this.maxIdleBytes) return this.drop(segment.buffer);
    const idle = this.idle.get(size) ?? [];
    idle.push(segment.buffer);
    this.idle.set(size, idle);
    this.counts.idleBytes += size;
  }

  /** The segment's bytes went where nobody will unpin them: it is never reused, and is freed once nothing refers to it. */
  escape(bytes: Uint8Array): void {
    const segment = this.busy.get(bytes.buffer);
    if (!segment) return;
    this.busy.delete(segment.buffer);
    this.drop(segment.buffer);
  }

  private drop(buffer: SharedArrayBuffer): void {
    this.counts.dropped++;
    this.collector.took(buffer);
  }
}

export function segmentSizeFor(length: number): number {
  let size = MIN_POOLED_SEGMENT_BYTES;
  while (size < length) size *= 2;
  return size;
}

/** This thread's pool (the proxy's main thread takes segments; a scan worker never does). */
export const segmentPool = new SegmentPool();
