import type { EngineOutput } from '../protocol/engine.js';

// Lifetimes of the bodies the engine handed to the session. A body stays alive while anything
// still refers to it: a queued piece that will emit its bodyToClient, the bookkeeping after its
// scan, a FETCH command that will be answered from it, or the partial-fetch cache. When the last
// reference goes, the engine emits bodyRelease (after any bodyToClient for it, since references
// are only dropped once those were emitted).
//
// The cache keeps scanned copies of sections fetched for partial FETCHes, keyed by
// mailbox + UIDVALIDITY + UID + section, least recently used first out, bounded by total bytes.

export interface BodyHandle {
  readonly id: number;
  refs: number;
  /** Final (scanned) size, once known. */
  size: number;
  cacheKey: string | undefined;
  released: boolean;
  /** The server sent the section as literal8 (`~{n}`, BINARY content with NUL): slices of it go out the same way. */
  literal8?: boolean;
}

type Emit = (out: EngineOutput) => void;

export class ScannedBodies {
  private nextBodyId = 1;
  private readonly live = new Map<number, BodyHandle>();
  private readonly cache = new Map<string, BodyHandle>();
  private cachedBytes = 0;

  constructor(
    private readonly capacityBytes: number,
    private readonly emit: Emit,
  ) {}

  /** A new body with the given number of initial references. */
  create(refs: number): BodyHandle {
    const handle: BodyHandle = { id: this.nextBodyId++, refs, size: 0, cacheKey: undefined, released: false };
    this.live.set(handle.id, handle);
    return handle;
  }

  ref(handle: BodyHandle): void {
    handle.refs++;
  }

  unref(handle: BodyHandle): void {
    handle.refs--;
    if (handle.refs > 0) return;
    if (handle.cacheKey !== undefined) {
      // Now evictable: the cache may have been over budget because of pinned entries.
      this.evict();
      return;
    }
    this.release(handle);
  }

  /** Cached scanned copy for the key, marked most recently used. */
  lookup(key: string): BodyHandle | undefined {
    const handle = this.cache.get(key);
    if (!handle) return undefined;
    this.cache.delete(key);
    this.cache.set(key, handle);
    return handle;
  }

  /** Keeps a scanned body for later partial fetches. Returns false if it does not fit. */
  insert(key: string, handle: BodyHandle): boolean {
    if (handle.released || handle.cacheKey !== undefined || handle.size > this.capacityBytes) return false;
    const previous = this.cache.get(key);
    if (previous) this.drop(previous);
    handle.cacheKey = key;
    this.cache.set(key, handle);
    this.cachedBytes += handle.size;
    this.evict();
    return true;
  }

  /** Releases everything still alive (the session is ending). */
  releaseAll(): void {
    this.cache.clear();
    this.cachedBytes = 0;
    for (const handle of this.live.values()) {
      handle.cacheKey = undefined;
      handle.refs = 0;
      this.release(handle);
    }
  }

  /**
   * Oldest first. An entry still in use (pinned by a command about to be answered from it) stops
   * eviction until it is free, so the newest entries survive; past twice the budget pinned entries
   * are stepped over instead, which keeps the cache bounded whatever the server does.
   */
  private evict(): void {
    for (const handle of this.cache.values()) {
      if (this.cachedBytes <= this.capacityBytes) return;
      if (handle.refs > 0) {
        if (this.cachedBytes <= 2 * this.capacityBytes) return;
        continue;
      }
      this.drop(handle);
    }
  }

  private drop(handle: BodyHandle): void {
    if (handle.cacheKey === undefined) return;
    this.cache.delete(handle.cacheKey);
    this.cachedBytes -= handle.size;
    handle.cacheKey = undefined;
    if (handle.refs <= 0) this.release(handle);
  }

  private release(handle: BodyHandle): void {
    if (handle.released) return;
    handle.released = true;
    this.live.delete(handle.id);
    this.emit({ kind: 'bodyRelease', bodyId: handle.id });
  }
}
