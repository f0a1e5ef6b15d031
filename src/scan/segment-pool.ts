// Reusable shared-memory segments for bodies held in memory, owned by the thread that takes them (the
// proxy's main thread). A fresh SharedArrayBuffer per body costs its zero-filled pages (page faults on
// the first copy into it), and it is freed only once every thread that saw it has garbage-collected its
// handle, which V8 does not hurry (shared-memory-collection.ts forces it). A pooled segment is instead
// kept by the pool and handed to the next body once nothing can read it any more: every holder pins it
// (the spool, a scan worker until it replied or was stopped, a socket write until its callback, a scanned
// copy, a caller that borrowed the whole body) and unpins it when done. A segment whose bytes went
// somewhere nobody unpins (escape()) leaves the pool for good and is collected the ordinary way.
import { sharedMemory, type SharedMemoryCollector } from './shared-memory-collection.js';

/** The smallest segment handed out; smaller bodies get one of this size. Every segment is a multiple of it. */
export const MIN_POOLED_SEGMENT_BYTES = 16 * 1024;
/**
 * An idle segment goes to a body whose size class is at least 1/MAX_REUSE_RATIO of the segment's size
 * (the smallest idle segment that holds it). Reused only within its own power-of-two class, the pool
 * kept a few segments of every class that bodies of varied sizes had needed: on the 300-message bulk
 * IMAP fetch 32-37 segments (idle ones near the 32 MiB bound, 3-6 dropped for garbage collection) for
 * at most 10 MiB of bodies held at once. With classes √2 apart and reuse up to 3 times the class, 23-24
 * segments and none dropped: the main thread's array buffers at peak RSS 45-59 -> 30-31 MiB, peak RSS
 * (median of 5) 196 -> 182 MiB; POP3 (one body at a time) 16 -> 13 MiB of segments (bulk-memory.ts).
 */
export const MAX_REUSE_RATIO = 3;
/** Idle segments kept for reuse, at most (the same slack the collector allows dead shared memory). */
export const MAX_IDLE_SEGMENT_BYTES = 32 * 1024 * 1024;
/** Idle segments that no body took for this long leave the pool, so a proxy with nothing to do holds none. */
export const IDLE_SEGMENT_MS = 10_000;

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
  /** Idle segments, smallest first. */
  private idle: SharedArrayBuffer[] = [];
  /** Segments handed out and still pinned, by their buffer (any view's `.buffer` finds its segment). */
  private readonly busy = new WeakMap<ArrayBufferLike, Segment>();
  private readonly counts: SegmentPoolCounters = { allocated: 0, reused: 0, dropped: 0, idleBytes: 0 };
  private readonly dropListeners = new Set<(bytes: number) => void>();
  private trimTimer: { cancel(): void } | undefined;
  /** take() ran since the idle segments were last looked at. */
  private takenSinceTrim = false;

  constructor(
    private readonly maxIdleBytes = MAX_IDLE_SEGMENT_BYTES,
    /** Told about segments that leave the pool, so their collection is looked after like any other shared memory. */
    private readonly collector: SharedMemoryCollector = sharedMemory,
    /** Calls `work` after `ms` without keeping the process alive. */
    private readonly after: (ms: number, work: () => void) => { cancel(): void } = unrefTimer,
  ) {}

  /**
   * Calls `listener` with the size of each segment that leaves the pool (until the returned function is
   * called): other threads that read it (scan workers) may still hold handles to it, now worth collecting.
   */
  onDrop(listener: (bytes: number) => void): () => void {
    this.dropListeners.add(listener);
    return () => this.dropListeners.delete(listener);
  }

  get counters(): SegmentPoolCounters {
    return { ...this.counts };
  }

  /** `length` bytes on a pooled segment (an idle one that fits, or a fresh one of about that size), pinned once for the caller. */
  take(length: number): Buffer {
    const size = segmentSizeFor(length);
    this.takenSinceTrim = true;
    const reused = this.takeIdle(size);
    if (reused) {
      this.counts.reused++;
      this.counts.idleBytes -= reused.byteLength;
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
    this.idle.splice(this.firstIdleOf(size), 0, segment.buffer);
    this.counts.idleBytes += size;
    this.trimWhenIdle();
  }

  /** The segment's bytes went where nobody will unpin them: it is never reused, and is freed once nothing refers to it. */
  escape(bytes: Uint8Array): void {
    const segment = this.busy.get(bytes.buffer);
    if (!segment) return;
    this.busy.delete(segment.buffer);
    this.drop(segment.buffer);
  }

  /** The smallest idle segment of `size` bytes or more, when it is at most MAX_REUSE_RATIO times that. */
  private takeIdle(size: number): SharedArrayBuffer | undefined {
    const at = this.firstIdleOf(size);
    if (at === this.idle.length || this.idle[at].byteLength > MAX_REUSE_RATIO * size) return undefined;
    return this.idle.splice(at, 1)[0];
  }

  /** Where the first idle segment of `size` bytes or more is (the idle ones are kept smallest first), or the end. */
  private firstIdleOf(size: number): number {
    const at = this.idle.findIndex((idle) => idle.byteLength >= size);
    return at < 0 ? this.idle.length : at;
  }

  private drop(buffer: SharedArrayBuffer): void {
    this.counts.dropped++;
    this.collector.took(buffer);
    for (const listener of this.dropListeners) listener(buffer.byteLength);
  }

  /** Every IDLE_SEGMENT_MS while segments are idle: when no body took one meanwhile, all of them leave the pool. */
  private trimWhenIdle(): void {
    if (this.trimTimer) return;
    this.takenSinceTrim = false;
    this.trimTimer = this.after(IDLE_SEGMENT_MS, () => {
      this.trimTimer = undefined;
      if (this.takenSinceTrim) return this.counts.idleBytes > 0 ? this.trimWhenIdle() : undefined;
      const idle = this.idle;
      this.idle = [];
      this.counts.idleBytes = 0;
      for (const buffer of idle) this.drop(buffer);
    });
  }
}

function unrefTimer(ms: number, work: () => void): { cancel(): void } {
  const timer = setTimeout(work, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
}

/** A segment for `length` bytes: the smallest size class that holds it (classes grow by √2 from the minimum, in multiples of it). */
export function segmentSizeFor(length: number): number {
  let size = MIN_POOLED_SEGMENT_BYTES;
  while (size < length) size = Math.ceil((size * Math.SQRT2) / MIN_POOLED_SEGMENT_BYTES) * MIN_POOLED_SEGMENT_BYTES;
  return size;
}

/** This thread's pool (the proxy's main thread takes segments; a scan worker never does). */
export const segmentPool = new SegmentPool();
