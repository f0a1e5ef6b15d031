// Scanned copies shared by every session of one account (issue #15): Thunderbird opens several
// connections, and the second one reading a message in chunks is answered from the copy the first
// one fetched and scanned, instead of downloading and scanning it again.
//
// Keyed by upstream, user, mailbox, UIDVALIDITY, UID and section, so a session only ever sees copies
// of the account it authenticated as on the same server. Only delivered bytes of a final delivery are
// kept (the engine offers a copy once its verdict is known). Bounded by bytes, least recently used
// out; copies beyond the in-memory budget are spooled (BodySpool: 0600 files in 0700 directories)
// under one directory that is emptied at start and removed at close. Dropped on an expunge or a new
// UIDVALIDITY seen by any session of the account, and all at once on every verdict change and reload
// (a reload also brings new scan.sharedCopies bounds).
//
// Beside the copies, the same keys name sections found clean (ScanOutcome.clean): a whole section
// fetched again with the size it had is delivered as the server sends it, without a second scan.
// IMAP never gives a UID of a mailbox (under one UIDVALIDITY) to other content (RFC 3501 §2.3.1.1),
// so an expunge need not drop these; a new UIDVALIDITY, a verdict change and a reload do, and each
// lasts at most CLEAN_MAX_AGE_MS, since clamd's signatures change without the proxy hearing of it.
//
// When the transport rules test a fact that differs between sessions of one account (the listener,
// the client application, the server's address), one session's scan may not decide for another's:
// nothing is shared then (sessionFactsRead).
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScannedCopy, ScannedCopyIntake, ScannedCopyKey, ScannedCopyStore } from '../protocol/session-ports.js';
import { BodySpool, nodeSpoolFiles, type SpoolFiles } from './body-spool.js';
import { segmentPool, type SegmentPool } from '../scan/segment-pool.js';

export interface AccountScannedCopiesOptions {
  /** Total bytes kept (memory and files); 0 turns sharing off. */
  maxBytes: number;
  /** Bytes kept in memory; copies beyond go to files. */
  memoryBytes: number;
  /** The directory for spooled copies: emptied now, removed at close. Default: a new one in the temp dir. */
  dir?: string;
  /** The transport rules test the listener, application or server address: share nothing between sessions. */
  sessionFactsRead?: boolean;
  /** Tests: the clock that ages clean records. */
  now?: () => number;
}

/** Sections found clean, remembered per store; each record is a key of about a hundred bytes. */
export const MAX_CLEAN_RECORDS = 20_000;
/** How long a clean verdict stands for a message fetched again. */
export const CLEAN_MAX_AGE_MS = 60 * 60 * 1000;

interface CleanRecord {
  account: string;
  mailbox: string;
  uidValidity: string;
  size: number;
  at: number;
}

interface Entry {
  id: string;
  account: string;
  mailbox: string;
  uidValidity: string;
  size: number;
  literal8: boolean;
  content: Buffer | BodySpool;
  /** The copy is a view of a pooled segment (the body's own, see segment-pool.ts), pinned until the entry is freed. */
  segment?: SegmentPool;
  pins: number;
  kept: boolean;
  /** Dropped for an expunge, a UIDVALIDITY or verdict change (not for room). */
  forgotten?: boolean;
}

/** What the store did, for the log and for tests (which assert on these). */
export interface ScannedCopyStats {
  kept: number;
  spooled: number;
  hits: number;
  misses: number;
  evicted: number;
  forgotten: number;
  /** Sections found clean, remembered; and how often one was delivered again without a scan. */
  cleanKept: number;
  cleanReused: number;
  bytes: number;
  memoryBytes: number;
  entries: number;
  cleanRecords: number;
}

export class AccountScannedCopies {
  private readonly entries = new Map<string, Entry>();
  private readonly clean = new Map<string, CleanRecord>();
  private readonly views = new Map<string, ScannedCopyStore>();
  private bytes = 0;
  private memoryUsed = 0;
  /**
   * Bumped by every expunge and clear: a copy offered before is not kept (its message may be gone, its
   * verdict changed). A new UIDVALIDITY needs no bump: the key of a copy offered before names the old one.
   */
  private generation = 0;
  private closed = false;
  private readonly counts = { kept: 0, spooled: 0, hits: 0, misses: 0, evicted: 0, forgotten: 0, cleanKept: 0, cleanReused: 0 };

  private constructor(
    private options: AccountScannedCopiesOptions,
    private readonly dir: string,
    private readonly files: SpoolFiles,
  ) {}

  static async open(options: AccountScannedCopiesOptions): Promise<AccountScannedCopies> {
    let dir: string;
    if (options.dir === undefined) {
      dir = await mkdtemp(join(tmpdir(), 'inboxguard-copies-'));
    } else {
      // Left by a process that did not stop cleanly: those copies may predate verdicts since.
      await rm(options.dir, { recursive: true, force: true });
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      dir = options.dir;
    }
    const files: SpoolFiles = { ...nodeSpoolFiles, makeDir: () => mkdtemp(join(dir, 'copy-')) };
    return new AccountScannedCopies(options, dir, files);
  }

  get stats(): ScannedCopyStats {
    return { ...this.counts, bytes: this.bytes, memoryBytes: this.memoryUsed, entries: this.entries.size, cleanRecords: this.clean.size };
  }

  /** The store as the sessions on one upstream (host:port) see it; one view per upstream, shared by its sessions. */
  forUpstream(upstream: string): ScannedCopyStore {
    let view = this.views.get(upstream);
    if (view === undefined) {
      const generation = () => this.generation;
      view = {
        take: (user, key) => this.take(account(upstream, user), key),
        offer: (user, key, size, literal8, epoch) => this.offer(account(upstream, user), key, size, literal8, epoch),
        forget: (user, mailbox, keepUidValidity) => this.forget(account(upstream, user), mailbox, keepUidValidity),
        get epoch() {
          return generation();
        },
        rememberClean: (user, key, size, epoch) => this.rememberClean(account(upstream, user), key, size, epoch),
        knownClean: (user, key, size) => this.knownClean(account(upstream, user), key, size),
      };
      this.views.set(upstream, view);
    }
    return view;
  }

  /** A verdict changed somewhere: a copy delivered before it may now be one that must be stripped. */
  clear(): void {
    this.generation++;
    for (const entry of [...this.entries.values()]) this.drop(entry, 'forgotten');
    this.clean.clear();
  }

  /** New bounds and rules (a configuration reload): every copy and clean record is dropped, as on any reload. */
  limit(limits: Pick<AccountScannedCopiesOptions, 'maxBytes' | 'memoryBytes' | 'sessionFactsRead'>): void {
    this.clear();
    this.options = { ...this.options, maxBytes: limits.maxBytes, memoryBytes: limits.memoryBytes, sessionFactsRead: limits.sessionFactsRead };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clear();
    await rm(this.dir, { recursive: true, force: true });
  }

  private rememberClean(accountKey: string, key: ScannedCopyKey, size: number, epoch: number): void {
    if (this.closed || this.options.sessionFactsRead || epoch !== this.generation) return;
    const id = entryId(accountKey, key);
    this.clean.delete(id);
    this.clean.set(id, { account: accountKey, mailbox: key.mailbox, uidValidity: key.uidValidity, size, at: this.now() });
    this.counts.cleanKept++;
    if (this.clean.size > MAX_CLEAN_RECORDS) this.clean.delete(this.clean.keys().next().value!);
  }

  private knownClean(accountKey: string, key: ScannedCopyKey, size: number): boolean {
    if (this.options.sessionFactsRead) return false;
    const id = entryId(accountKey, key);
    const record = this.clean.get(id);
    if (record === undefined) return false;
    if (record.size !== size || this.now() - record.at > CLEAN_MAX_AGE_MS) {
      this.clean.delete(id);
      return false;
    }
    this.clean.delete(id);
    this.clean.set(id, record);
    this.counts.cleanReused++;
    return true;
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  private take(accountKey: string, key: ScannedCopyKey): ScannedCopy | undefined {
    if (this.options.sessionFactsRead) return undefined;
    const id = entryId(accountKey, key);
    const entry = this.entries.get(id);
    if (!entry) {
      this.counts.misses++;
      return undefined;
    }
    this.counts.hits++;
    this.entries.delete(id);
    this.entries.set(id, entry);
    entry.pins++;
    let released = false;
    return {
      size: entry.size,
      literal8: entry.literal8,
      get kept() {
        return entry.kept;
      },
      read: (start, end) => (Buffer.isBuffer(entry.content) ? [entry.content.subarray(start, end)] : entry.content.range(start, end)),
      release: () => {
        if (released) return;
        released = true;
        entry.pins--;
        if (!entry.kept && entry.pins === 0) free(entry);
      },
    };
  }

  private offer(accountKey: string, key: ScannedCopyKey, size: number, literal8: boolean, epoch = this.generation): ScannedCopyIntake | undefined {
    if (this.closed || this.options.sessionFactsRead || size > this.options.maxBytes || epoch !== this.generation) return undefined;
    const generation = this.generation;
    let entry: Entry | undefined;
    let stale = false;
    return {
      put: async (content) => {
        // Views of a body's pooled segment stay its bytes only while pinned: pinned now, before its spool can let go.
        const pinned = Array.isArray(content) ? (content as Buffer[]).filter((chunk) => segmentPool.pin(chunk)) : [];
        let kept: Buffer | undefined;
        try {
          const inMemory = this.memoryUsed + size <= this.options.memoryBytes;
          const stored = inMemory ? await collect(content, size) : await this.spool(content, size);
          if (stored === undefined) return;
          if (this.closed || generation !== this.generation) {
            stale = true;
            if (!Buffer.isBuffer(stored)) stored.dispose();
            return;
          }
          kept = Buffer.isBuffer(stored) ? pinned.find((chunk) => chunk.buffer === stored.buffer) : undefined;
          entry = { id: entryId(accountKey, key), account: accountKey, mailbox: key.mailbox, uidValidity: key.uidValidity, size, literal8, content: stored, pins: 0, kept: true, ...(kept ? { segment: segmentPool } : {}) };
          this.insert(entry);
        } finally {
          for (const chunk of pinned) if (chunk !== kept) segmentPool.unpin(chunk);
        }
      },
      get invalidated() {
        return stale || entry?.forgotten === true;
      },
    };
  }

  private forget(accountKey: string, mailbox: string, keepUidValidity: string | undefined): void {
    if (keepUidValidity === undefined) this.generation++;
    for (const entry of [...this.entries.values()]) {
      if (entry.account === accountKey && entry.mailbox === mailbox && entry.uidValidity !== keepUidValidity) this.drop(entry, 'forgotten');
    }
    // An expunge leaves the other UIDs' content as it was: only a new UIDVALIDITY ends their records.
    if (keepUidValidity === undefined) return;
    for (const [id, record] of this.clean) {
      if (record.account === accountKey && record.mailbox === mailbox && record.uidValidity !== keepUidValidity) this.clean.delete(id);
    }
  }

  private insert(entry: Entry): void {
    const previous = this.entries.get(entry.id);
    if (previous) this.drop(previous, 'forgotten');
    this.entries.set(entry.id, entry);
    this.bytes += entry.size;
    if (Buffer.isBuffer(entry.content)) this.memoryUsed += entry.size;
    else this.counts.spooled++;
    this.counts.kept++;
    // Oldest first; a pinned copy leaves the store too, and its bytes go once its last reader lets go.
    for (const oldest of this.entries.values()) {
      if (this.bytes <= this.options.maxBytes) break;
      this.drop(oldest, 'evicted');
    }
  }

  private drop(entry: Entry, why: 'evicted' | 'forgotten'): void {
    if (!entry.kept) return;
    entry.kept = false;
    entry.forgotten = why === 'forgotten';
    this.entries.delete(entry.id);
    this.bytes -= entry.size;
    if (Buffer.isBuffer(entry.content)) this.memoryUsed -= entry.size;
    this.counts[why]++;
    if (entry.pins === 0) free(entry);
  }

  private async spool(content: Iterable<Buffer> | AsyncIterable<Buffer>, size: number): Promise<BodySpool | undefined> {
    const spool = new BodySpool(0, { files: this.files, unspillableBytes: 0 });
    try {
      for await (const chunk of content) spool.append(chunk);
      await spool.finish();
    } catch {
      spool.dispose();
      return undefined;
    }
    if (spool.size !== size) {
      spool.dispose();
      return undefined;
    }
    return spool;
  }
}

/**
 * The content as one buffer of exactly `size` bytes, or undefined. Content that already is one (a body
 * spooled into one shared segment, a rewritten message) is kept as it is, not copied: neither is written
 * again once delivered, and the spool trims a segment the body fell well short of, so the view pins
 * little beyond its own bytes.
 */
async function collect(content: Iterable<Buffer> | AsyncIterable<Buffer>, size: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let offset = 0;
  for await (const chunk of content) {
    if (offset + chunk.length > size) return undefined;
    chunks.push(chunk);
    offset += chunk.length;
  }
  if (offset !== size) return undefined;
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

function free(entry: Entry): void {
  if (!Buffer.isBuffer(entry.content)) entry.content.dispose();
  else if (entry.segment) {
    entry.segment.unpin(entry.content);
    entry.segment = undefined;
  }
}

function account(upstream: string, user: string): string {
  return JSON.stringify([upstream, user]);
}

function entryId(accountKey: string, key: ScannedCopyKey): string {
  return `${accountKey}\u0000${JSON.stringify([key.mailbox, key.uidValidity, key.uid, key.section])}`;
}
