import type { EngineOutput } from '../protocol/engine.js';
import type { ScannedCopy, ScannedCopyIntake, ScannedCopyKey, ScannedCopyStore } from '../protocol/session-ports.js';

// Lifetimes of the bodies the engine handed to the session. A body stays alive while anything
// still refers to it: a queued piece that will emit its bodyToClient, the bookkeeping after its
// scan, a FETCH command that will be answered from it, or the partial-fetch cache. When the last
// reference goes, the engine emits bodyRelease (after any bodyToClient for it, since references
// are only dropped once those were emitted).
//
// The cache keeps scanned copies of sections fetched for partial FETCHes, keyed by
// mailbox + UIDVALIDITY + UID + section, least recently used first out, bounded by total bytes.
//
// With a store shared by the sessions of the account (ScannedCopyStore), every copy the cache keeps
// is offered to it (bodyShare), and a miss here asks it: a copy another session kept becomes a body
// of this session (bodyAdopt) and is cached here like an own one, as long as the store still holds it.
// The store also remembers sections found clean, so a whole fetch of one again is not scanned again.

export interface BodyHandle {
  readonly id: number;
  refs: number;
  /** Final (scanned) size, once known. */
  size: number;
  cacheKey: string | undefined;
  released: boolean;
  /** The server sent the section as literal8 (`~{n}`, BINARY content with NUL): slices of it go out the same way. */
  literal8?: boolean;
  /** The shared copy this body stands for (adopted from another session). */
  shared?: ScannedCopy;
  /** This session's copy as handed to the account's store. */
  offered?: ScannedCopyIntake;
}

type Emit = (out: EngineOutput) => void;

/** Who is logged in (copies are only shared once a user is known). */
export interface LoggedInUser {
  readonly user: string | undefined;
}

export function copyKeyString(key: ScannedCopyKey): string {
  return `${key.mailbox}\u0000${key.uidValidity}\u0000${key.uid}\u0000${key.section}`;
}

const NO_HANDLES: ReadonlyMap<string, BodyHandle> = new Map();

export class ScannedBodies {
  private nextBodyId = 1;
  /** Created with the first body (a session that fetches none holds neither map). */
  private live: Map<number, BodyHandle> | undefined;
  private cacheMap: Map<string, BodyHandle> | undefined;
  private cachedBytes = 0;
  /** Sections passed on unscanned because knownClean said so. */
  knownCleanPasses = 0;

  /** `store`: the account's shared copies, used once `session.user` is known. */
  constructor(
    private readonly capacityBytes: number,
    private readonly emit: Emit,
    private readonly store?: ScannedCopyStore,
    private readonly session?: LoggedInUser,
  ) {}

  /** The cache, for reading (an empty one until something is cached). */
  private get cache(): ReadonlyMap<string, BodyHandle> {
    return this.cacheMap ?? NO_HANDLES;
  }

  private get writableCache(): Map<string, BodyHandle> {
    return (this.cacheMap ??= new Map());
  }

  /** A new body with the given number of initial references. */
  create(refs: number): BodyHandle {
    const handle: BodyHandle = { id: this.nextBodyId++, refs, size: 0, cacheKey: undefined, released: false };
    (this.live ??= new Map()).set(handle.id, handle);
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

  /** Cached scanned copy for the key (this session's, or one the account's store holds), marked most recently used. */
  lookup(key: ScannedCopyKey): BodyHandle | undefined {
    const id = copyKeyString(key);
    const handle = this.cache.get(id);
    if (handle && (handle.shared ? !handle.shared.kept : handle.offered?.invalidated)) {
      // The store let go of it (an expunge, a UIDVALIDITY or verdict change; for an adopted copy also eviction): so does this session.
      this.drop(handle);
    } else if (handle) {
      this.writableCache.delete(id);
      this.writableCache.set(id, handle);
      return handle;
    }
    return this.adopt(key, id);
  }

  /**
   * Keeps a scanned body for later partial fetches, here and in the account's store (unless the
   * account's epoch moved since `epoch`, when its scan began). Returns false if it does not fit here.
   */
  insert(key: ScannedCopyKey, handle: BodyHandle, epoch?: number): boolean {
    if (handle.released || handle.cacheKey !== undefined) return false;
    this.share(key, handle, epoch);
    if (handle.size > this.capacityBytes) return false;
    const id = copyKeyString(key);
    const previous = this.cache.get(id);
    if (previous) this.drop(previous);
    handle.cacheKey = id;
    this.writableCache.set(id, handle);
    this.cachedBytes += handle.size;
    this.evict();
    return true;
  }

  /** Where the account's verdicts stand now (ScannedCopyStore.epoch): taken when a body's scan begins. */
  get epoch(): number {
    return this.store?.epoch ?? 0;
  }

  /** A section found clean (ScanOutcome.clean) by a scan begun at `epoch`: a later whole fetch of it needs no scan. */
  rememberClean(key: ScannedCopyKey, size: number, epoch: number): void {
    const user = this.session?.user;
    if (user !== undefined) this.store?.rememberClean(user, key, size, epoch);
  }

  /** The account found this section clean at this size before (and still stands by it). */
  knownClean(key: ScannedCopyKey, size: number): boolean {
    const user = this.session?.user;
    const known = user !== undefined && this.store !== undefined && this.store.knownClean(user, key, size);
    if (known) this.knownCleanPasses++;
    return known;
  }

  /** The account's store forgets a mailbox's copies (all of them, or those of other UIDVALIDITY values). */
  forgetShared(mailbox: string, keepUidValidity?: string): void {
    const user = this.session?.user;
    if (user !== undefined) this.store?.forget(user, mailbox, keepUidValidity);
  }

  private share(key: ScannedCopyKey, handle: BodyHandle, epoch: number | undefined): void {
    const user = this.session?.user;
    if (user === undefined || handle.shared) return;
    const intake = this.store?.offer(user, key, handle.size, handle.literal8 ?? false, epoch);
    if (!intake) return;
    handle.offered = intake;
    this.emit({ kind: 'bodyShare', bodyId: handle.id, intake });
  }

  private adopt(key: ScannedCopyKey, id: string): BodyHandle | undefined {
    const user = this.session?.user;
    const copy = user === undefined ? undefined : this.store?.take(user, key);
    if (!copy) return undefined;
    if (copy.size > this.capacityBytes) {
      copy.release();
      return undefined;
    }
    // One reference while it is put in the cache, so that making room never evicts it right away.
    const handle = this.create(1);
    handle.size = copy.size;
    handle.literal8 = copy.literal8;
    handle.shared = copy;
    this.emit({ kind: 'bodyAdopt', bodyId: handle.id, copy });
    handle.cacheKey = id;
    this.writableCache.set(id, handle);
    this.cachedBytes += handle.size;
    this.evict();
    handle.refs--;
    return handle;
  }

  /** Releases everything still alive (the session is ending). */
  releaseAll(): void {
    this.cacheMap = undefined;
    this.cachedBytes = 0;
    if (this.live === undefined) return;
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
    this.cacheMap?.delete(handle.cacheKey);
    this.cachedBytes -= handle.size;
    handle.cacheKey = undefined;
    if (handle.refs <= 0) this.release(handle);
  }

  private release(handle: BodyHandle): void {
    if (handle.released) return;
    handle.released = true;
    this.live?.delete(handle.id);
    this.emit({ kind: 'bodyRelease', bodyId: handle.id });
  }
}
