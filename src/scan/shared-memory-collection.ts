// Shared memory is invisible to V8's garbage collection heuristics: a SharedArrayBuffer's bytes are not
// counted as the isolate's external memory (V8's BackingStore::PerIsolateAccountingLength() is 0 for
// shared backing stores), so allocating them never triggers a collection the way ordinary Buffers do.
// A body's segment is freed only once every thread that held it has collected its handle to it; with
// little other garbage a thread may go hundreds of bodies without a full collection (measured: 480 MiB
// of dead segments on the proxy's main thread in a POP3 bulk run of 256 MB). Each thread therefore
// tracks the shared bytes it took on (allocated or received) whose handles it has not collected yet,
// and when they exceed what was live after its last forced collection by `thresholdBytes`, it asks for
// one full collection. When V8 collects on its own often enough, no collection is ever forced.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Uncollected shared bytes a thread tolerates beyond what it held after its last forced collection. */
export const SHARED_COLLECTION_THRESHOLD_BYTES = 32 * 1024 * 1024;

export interface SharedMemoryCounters {
  /** Shared bytes taken on (allocated here or received from another thread). */
  bytes: number;
  /** Of those, the bytes whose handles this thread has collected. */
  collectedBytes: number;
  /** Full collections forced. */
  collections: number;
}

/** One thread's handles to shared memory; `collect` is a full collection (undefined: none available). */
export class SharedMemoryCollector {
  private uncollected = 0;
  /** Uncollected bytes just after the last forced collection (those were still in use), or fewer once some of them were collected. */
  private floor = 0;
  private scheduled = false;
  /** Bytes this thread may hold handles to without having counted them (mayHold), since the last forced collection. */
  private unaccounted = 0;
  private readonly counts: SharedMemoryCounters = { bytes: 0, collectedBytes: 0, collections: 0 };
  private readonly handles = new FinalizationRegistry<number>((bytes) => {
    this.uncollected -= bytes;
    this.counts.collectedBytes += bytes;
    // What is still in use is at most what remains now.
    this.floor = Math.min(this.floor, this.uncollected);
  });

  constructor(
    private readonly thresholdBytes: number,
    private readonly collect: (() => void) | undefined,
    /** Runs work after the current task (a collection never runs in the middle of an allocation). */
    private readonly later: (work: () => void) => void = (work) => setImmediate(work).unref(),
  ) {}

  get counters(): SharedMemoryCounters {
    return { ...this.counts };
  }

  /** Bytes of shared memory this thread holds handles to and has not collected (in use or garbage). */
  get uncollectedBytes(): number {
    return this.uncollected;
  }

  took(buffer: SharedArrayBuffer): void {
    const bytes = buffer.byteLength;
    this.handles.register(buffer, bytes);
    this.counts.bytes += bytes;
    this.uncollected += bytes;
    this.collectWhenDue();
  }

  /**
   * Shared memory this thread saw but did not count, because its owner kept it alive anyway (a pooled
   * segment, see segment-pool.ts), was let go by its owner: this thread's stale handles may now be all
   * that keeps it, so it counts towards the next forced collection.
   */
  mayHold(bytes: number): void {
    this.unaccounted += bytes;
    this.collectWhenDue();
  }

  private collectWhenDue(): void {
    const collect = this.collect;
    if (!collect || this.scheduled || this.uncollected + this.unaccounted - this.floor < this.thresholdBytes) return;
    this.scheduled = true;
    this.later(() => {
      this.counts.collections++;
      this.unaccounted = 0;
      collect();
      // The registry's callbacks run after the collection, before this.
      this.later(() => {
        this.floor = this.uncollected;
        this.scheduled = false;
      });
    });
  }
}

/**
 * V8's full collection, or undefined where it cannot be had. Node offers it only behind --expose-gc;
 * the flag is set just long enough to create one context that carries `gc`, so no other context (the
 * application's, a worker's) gets a `gc` global.
 */
export function fullCollection(): (() => void) | undefined {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** This thread's collector (each thread loads its own copy of this module). */
export const sharedMemory = new SharedMemoryCollector(SHARED_COLLECTION_THRESHOLD_BYTES, fullCollection());
