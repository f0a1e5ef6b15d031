import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ProcessMemory, type SessionMemory } from '../protocol/memory-budget.js';
import { sharedBuffer } from '../scan/shared-buffer.js';
import type { SegmentPool } from '../scan/segment-pool.js';
import type { SpilledFile } from '../scan/body-scanner.js';
import { copyBytes } from './copy-bytes.js';

/** Copy step between yields when assembling a body, so other sessions are served in between. */
const ASSEMBLY_STEP_BYTES = 4 * 1024 * 1024;
const READ_STEP_BYTES = 256 * 1024;
/** Bounds of a shared-memory segment when the body's size was not announced (it grows geometrically). */
const MIN_SEGMENT_BYTES = 64 * 1024;
const MAX_SEGMENT_BYTES = 4 * 1024 * 1024;

/** What a spool needs from the file system; every call is asynchronous, so none blocks the event loop. */
export interface SpoolFiles {
  /** A new private (0700) directory for one body. */
  makeDir(): Promise<string>;
  /** A 0600 file for writing; its errors arrive as 'error' events. */
  createWriteStream(path: string): Writable;
  open(path: string): Promise<{ read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>; close(): Promise<void> }>;
  removeDir(dir: string): Promise<void>;
}

export const nodeSpoolFiles: SpoolFiles = {
  makeDir: () => mkdtemp(join(tmpdir(), 'inboxguard-spool-')),
  createWriteStream: (path) => createWriteStream(path, { mode: 0o600, flags: 'wx' }),
  open: (path) => open(path, 'r'),
  removeDir: (dir) => rm(dir, { recursive: true, force: true }),
};

/** What the spools of this process have done, for the log and for tests (which assert on these, not on the disk). */
export const spoolCounters = {
  /** Bodies that started spilling to disk. */
  spills: 0,
  /** Spills the disk refused (full, unwritable); those bodies went on in memory or failed. */
  spillFailures: 0,
  /** Bodies lost because they could neither spill nor stay in memory. */
  failedBodies: 0,
  /** Bytes copied on arrival into shared memory (the one copy a body held in memory gets on this thread). */
  sharedCopyBytes: 0,
  /** Bytes copied again by readAll() to make one buffer of a body held in pieces (or partly in the file). */
  assembledBytes: 0,
};

/** The body is lost: it could neither be spilled to disk nor kept in memory (or the spool was disposed). */
export class SpoolFailedError extends Error {
  readonly code = 'SPOOL_FAILED';
}

export interface BodySpoolOptions {
  /** The session's memory budget; without it the body is accounted against a budget of its own. */
  memory?: SessionMemory;
  /** Bytes kept in memory when the body cannot be spilled; beyond them the spool fails. Default 2 × memoryLimit. */
  unspillableBytes?: number;
  files?: SpoolFiles;
  /**
   * The size the server announced (IMAP literal length, POP3 "+OK n octets"), a hint: a body held in
   * memory is copied once, as it arrives, into one shared buffer of that size, which readAll() hands
   * to a scan worker without another copy. Without it the shared memory grows in segments.
   */
  announcedSize?: number;
  /**
   * Where the shared buffer of an announced body comes from: a pooled segment goes back to the pool once
   * its last holder lets go (see segment-pool.ts), instead of waiting for garbage collection.
   */
  segments?: SegmentPool;
}

type SpillState = 'memory' | 'opening' | 'file' | 'unspillable';

/**
 * One message body as it arrives from the server: kept in memory up to memoryLimit bytes (and while the
 * memory budget allows), then spilled to a 0600 temp file (in a 0700 directory) removed on dispose().
 *
 * When the disk refuses (full, unwritable), what is already in the file stays there and the rest is kept
 * in memory up to a hard cap; beyond it, or beyond the budget, the spool fails: finish(), readAll() and
 * range() reject with a SpoolFailedError. No file system error ever escapes as an unhandled event.
 */
export class BodySpool {
  private bytes = 0;
  /** The body's tail held in memory, starting at body offset `memoryStart`. */
  private chunks: Buffer[] = [];
  private memoryBytes = 0;
  private memoryStart = 0;
  /** Chunks handed to the file stream and not yet confirmed written, in order. */
  private inFlight: Buffer[] = [];
  private inFlightBytes = 0;
  /** Body bytes [0, fileBytes) are confirmed in the file. */
  private fileBytes = 0;
  private state: SpillState = 'memory';
  private file: { dir: string; path: string; stream?: Writable } | undefined;
  private streamEnded = false;
  private finishing = false;
  /** Set when the body is lost; a disposed spool's error is made only when something asks for it (lost()). */
  private failure: SpoolFailedError | undefined;
  /** Why the disk refused, once it did. */
  private spillError = '';
  private disposed = false;
  /** Told by dispose(): the scans of this body still running (whenDiscarded). */
  private discardListeners: Set<() => void> | undefined;
  private waiters: { resolve(): void; reject(error: Error): void }[] = [];
  private readonly memory: SessionMemory;
  private readonly unspillableBytes: number;
  private readonly files: SpoolFiles;
  private readonly announcedSize: number | undefined;
  /** The shared-memory segment being filled while the body is held in memory (its view is the last chunk). */
  private segment: Buffer | undefined;
  private segmentFill = 0;
  /**
   * The last chunk's view does not yet cover everything copied into the segment: the view is remade when
   * the chunks are read (held), not on every append.
   */
  private tailStale = false;
  private readonly segments: SegmentPool | undefined;
  /** The pooled segment the body was copied into (the spool holds a pin on it until dispose()). */
  private pooled: Buffer | undefined;
  /** Pins readAll() took for its callers on the pooled segment and that they have not given back (doneWith). */
  private lent = 0;

  constructor(
    private readonly memoryLimit: number,
    options: BodySpoolOptions = {},
  ) {
    this.memory = options.memory ?? unbudgeted();
    this.unspillableBytes = options.unspillableBytes ?? 2 * memoryLimit;
    this.files = options.files ?? nodeSpoolFiles;
    const announced = options.announcedSize;
    this.announcedSize = announced !== undefined && Number.isSafeInteger(announced) && announced >= 0 ? announced : undefined;
    this.segments = options.segments;
  }

  get size(): number {
    return this.bytes;
  }

  /** True when part of the body lives in a file (read it with range() / readAll()). */
  get spilled(): boolean {
    return this.fileBytes > 0 || this.state === 'file' || this.state === 'opening';
  }

  /** Set once the body is lost (or disposed). */
  get failed(): SpoolFailedError | undefined {
    return this.lost();
  }

  /**
   * Calls `listener` once when the spool is disposed before the returned function is called (at once when
   * it already is): the session that spooled the body ended, so nobody will receive what a scan of it
   * finds, and the scan pipeline cancels it.
   */
  whenDiscarded(listener: () => void): () => void {
    if (this.disposed) {
      listener();
      return () => undefined;
    }
    const listeners = (this.discardListeners ??= new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  append(bytes: Buffer): void {
    this.bytes += bytes.length;
    if (this.disposed || this.failure || bytes.length === 0) return;
    switch (this.state) {
      case 'file':
        return this.writeToFile(bytes);
      case 'opening':
        // On its way to disk: counted as a write in flight, so the session stops reading while there are many.
        this.memory.force(bytes.length);
        this.memory.writing(bytes.length);
        return this.keep(bytes);
      case 'unspillable':
        if (this.memoryBytes + bytes.length > this.unspillableBytes || !this.memory.reserve(bytes.length)) {
          this.fail(`it could not be spilled to disk (${this.spillError}) and does not fit in memory`);
          return;
        }
        return this.keep(bytes);
      case 'memory': {
        // A body announced beyond the memory limit will spill anyway: it goes to its file from the first
        // byte, instead of filling the memory budget first.
        const announcedBeyond = this.announcedSize !== undefined && this.announcedSize > this.memoryLimit;
        const reserved = !announcedBeyond && this.memoryBytes + bytes.length <= this.memoryLimit && this.memory.reserve(bytes.length);
        if (!reserved) this.memory.force(bytes.length);
        if (reserved) this.keepShared(bytes);
        else this.keep(bytes);
        if (!reserved) this.startSpill();
        return;
      }
    }
  }

  /** Resolves when every appended byte is readable; rejects when the body is lost. */
  finish(): Promise<void> {
    this.finishing = true;
    if (this.state === 'memory') this.trimSegment();
    this.endStreamWhenWritten();
    return this.whenSettled();
  }

  /** The whole body in memory (for scanners that need it); undefined once spilled or failed. */
  inMemory(): Buffer | undefined {
    if (this.spilled || this.gone) return undefined;
    if (this.held.length > 1) {
      this.chunks = [Buffer.concat(this.chunks)];
      // Bytes appended from now on start a segment of their own.
      this.segment = undefined;
    }
    const whole = this.chunks[0] ?? Buffer.alloc(0);
    // Whoever asked keeps it as long as it likes: that segment is never reused.
    if (this.pooled && whole.buffer === this.pooled.buffer) this.escapePooled();
    return whole;
  }

  /**
   * The whole body as one buffer on shared memory (a scan worker reads it without a copy): the part in
   * the file read by the thread pool, the part in memory assembled in steps that yield to the event loop.
   */
  async readAll(): Promise<Buffer> {
    await this.finish();
    const chunks = this.held;
    const only = chunks.length === 1 ? chunks[0] : undefined;
    // Filled as it arrived: the buffer itself goes to the worker.
    if (this.fileBytes === 0 && only && only.length === this.bytes && only.buffer instanceof SharedArrayBuffer) {
      if (this.pooled && only.buffer === this.pooled.buffer && this.segments?.pin(only)) this.lent++;
      return only;
    }
    const whole = sharedBuffer(this.bytes);
    if (this.fileBytes > 0) await this.readFile(whole, 0, this.fileBytes);
    let offset = this.memoryStart;
    let sinceYield = 0;
    for (const chunk of chunks) {
      copyBytes(chunk, whole, offset);
      spoolCounters.assembledBytes += chunk.length;
      offset += chunk.length;
      sinceYield += chunk.length;
      if (sinceYield >= ASSEMBLY_STEP_BYTES) {
        sinceYield = 0;
        await nextTurn();
      }
    }
    this.throwIfLost();
    return whole;
  }

  /**
   * The caller of readAll() no longer needs the buffer it got, nor anything it made of it: a pooled
   * segment may be reused once its other holders let go. Without this call the segment stays pinned.
   */
  doneWith(bytes: Buffer): void {
    if (this.lent === 0 || !this.pooled || bytes.buffer !== this.pooled.buffer) return;
    this.lent--;
    this.segments?.unpin(bytes);
  }

  /**
   * For a spilled body, its complete file and the tail kept in memory after it (when the disk refused
   * the rest), so a scan worker reads the body itself and this thread never assembles it.
   */
  async spilledFile(): Promise<SpilledFile | undefined> {
    await this.finish();
    if (this.fileBytes === 0 || !this.file) return undefined;
    const tail = sharedBuffer(this.bytes - this.fileBytes);
    let offset = 0;
    for (const chunk of this.held) {
      copyBytes(chunk, tail, offset);
      spoolCounters.assembledBytes += chunk.length;
      offset += chunk.length;
    }
    this.throwIfLost();
    return { path: this.file.path, fileBytes: this.fileBytes, tail };
  }

  /** Bytes [start, end) of a body held in memory, as views of the chunks it arrived in (no copy). */
  memoryRange(start = 0, end = this.bytes): Iterable<Buffer> {
    if (this.spilled) throw new Error('the body was spilled to disk; use range()');
    this.throwIfLost();
    return sliceChunks(this.held, start, end);
  }

  /** Bytes [start, end) as a stream of chunks. */
  async *range(start = 0, end = this.bytes): AsyncGenerator<Buffer> {
    await this.finish();
    if (end <= start) return;
    const fileEnd = Math.min(end, this.fileBytes);
    for (let offset = start; offset < fileEnd; ) {
      const piece = Buffer.alloc(Math.min(READ_STEP_BYTES, fileEnd - offset));
      await this.readFile(piece, offset, fileEnd);
      offset += piece.length;
      yield piece;
    }
    if (end > this.memoryStart) {
      const chunks = this.held;
      this.throwIfLost();
      yield* sliceChunks(chunks, Math.max(0, start - this.memoryStart), end - this.memoryStart);
    }
  }

  /**
   * Frees memory and removes the file; safe at any moment, also with writes or a directory creation
   * pending. A scan still running is told (whenDiscarded) and cancelled: the file is not kept for it,
   * since nobody will receive its result.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.memory.release(this.memoryBytes + this.inFlightBytes);
    this.memory.writing(-(this.inFlightBytes + (this.state === 'opening' ? this.memoryBytes : 0)));
    this.chunks = [];
    this.tailStale = false;
    this.memoryBytes = 0;
    this.segment = undefined;
    this.releasePooled();
    this.inFlight = [];
    this.inFlightBytes = 0;
    this.file?.stream?.destroy();
    if (this.file) this.removeDir(this.file.dir);
    this.settle();
    const listeners = this.discardListeners;
    this.discardListeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }

  private keep(bytes: Buffer): void {
    this.held.push(bytes);
    this.memoryBytes += bytes.length;
  }

  /** Copies the bytes into shared memory; the arriving buffer is not kept (it dies young). */
  private keepShared(bytes: Buffer): void {
    for (let offset = 0; offset < bytes.length; ) {
      if (!this.segment || this.segmentFill === this.segment.length) {
        const chunks = this.held;
        this.segment = this.newSegment(this.memoryBytes + offset, bytes.length - offset);
        this.segmentFill = 0;
        chunks.push(this.segment);
      }
      const copied = copyBytes(bytes, this.segment, this.segmentFill, offset);
      this.segmentFill += copied;
      offset += copied;
      this.tailStale = true;
    }
    this.memoryBytes += bytes.length;
    spoolCounters.sharedCopyBytes += bytes.length;
  }

  /** The whole announced body goes on a pooled segment when there is a pool; anything else on a segment of its own. */
  private newSegment(held: number, needed: number): Buffer {
    const size = this.segmentSize(held, needed);
    if (!this.segments || held !== 0 || this.pooled || size !== this.announcedSize) return sharedBuffer(size);
    this.pooled = this.segments.take(size);
    return this.pooled;
  }

  /**
   * This spool no longer reads the pooled segment. A caller of readAll() that has not given it back may
   * keep it for good (a held or quarantined message): then it leaves the pool, and the collection of
   * shared memory looks after it like any other.
   */
  private releasePooled(): void {
    if (this.lent > 0) return this.escapePooled();
    if (!this.pooled) return;
    this.segments?.unpin(this.pooled);
    this.pooled = undefined;
  }

  private escapePooled(): void {
    if (this.pooled) this.segments?.escape(this.pooled);
    this.lent = 0;
    this.pooled = undefined;
  }

  /**
   * A body that fell well short of its segment (POP3's announced size is only a hint) keeps a right-sized
   * copy instead, so a held body never pins more shared memory than it has bytes.
   */
  private trimSegment(): void {
    const segment = this.segment;
    // A pooled segment's slack goes back to the pool with it.
    if (!segment || segment === this.pooled || segment.length - this.segmentFill <= MIN_SEGMENT_BYTES) return;
    const trimmed = sharedBuffer(this.segmentFill);
    copyBytes(segment, trimmed, 0, 0, this.segmentFill);
    const chunks = this.held;
    chunks[chunks.length - 1] = trimmed;
    this.segment = undefined;
  }

  /** For the bytes from `held` on: the announced rest of the body when it was announced and not exceeded, else a geometric step; at least `needed`. */
  private segmentSize(held: number, needed: number): number {
    const announcedRest = this.announcedSize === undefined ? 0 : this.announcedSize - held;
    if (announcedRest >= needed) return announcedRest;
    const step = Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, held));
    return Math.max(needed, Math.min(step, this.memoryLimit - held));
  }

  private startSpill(): void {
    this.state = 'opening';
    spoolCounters.spills++;
    this.memory.writing(this.memoryBytes);
    this.files.makeDir().then(
      (dir) => {
        if (this.disposed || this.failure) return this.removeDir(dir);
        this.openFile(dir);
      },
      (error: Error) => this.spillFailed(error),
    );
  }

  private openFile(dir: string): void {
    const path = join(dir, 'body');
    this.file = { dir, path };
    let stream: Writable;
    try {
      stream = this.files.createWriteStream(path);
    } catch (error) {
      return this.spillFailed(error as Error);
    }
    this.file.stream = stream;
    stream.on('error', (error: Error) => this.spillFailed(error));
    stream.on('finish', () => {
      this.streamEnded = true;
      this.settle();
    });
    this.state = 'file';
    // The file stream holds the views until written, and nobody tells when it lets go.
    this.escapePooled();
    const pending = this.held;
    this.chunks = [];
    this.memoryBytes = 0;
    this.segment = undefined;
    for (const chunk of pending) this.writeToFile(chunk, true);
    this.endStreamWhenWritten();
  }

  /** `held`: the bytes are already accounted as held and being written (they waited for the file to open). */
  private writeToFile(bytes: Buffer, held = false): void {
    const stream = this.file?.stream;
    if (!stream) return;
    if (!held) {
      this.memory.force(bytes.length);
      this.memory.writing(bytes.length);
    }
    this.inFlight.push(bytes);
    this.inFlightBytes += bytes.length;
    stream.write(bytes, (error) => {
      // A failed write also arrives as the stream's 'error' event, which takes the bytes back.
      if (error || this.state !== 'file' || this.disposed) return;
      const written = this.inFlight.shift();
      if (!written) return;
      this.inFlightBytes -= written.length;
      this.fileBytes += written.length;
      this.memory.writing(-written.length);
      this.memory.release(written.length);
      this.settle();
    });
  }

  /** The disk refused: the unwritten bytes return to memory, and the rest of the body stays there too. */
  private spillFailed(error: Error): void {
    if (this.disposed || this.state === 'unspillable') return;
    this.state = 'unspillable';
    spoolCounters.spillFailures++;
    this.spillError = (error as NodeJS.ErrnoException).code ?? error.message;
    this.file?.stream?.destroy();
    const unwritten = this.inFlight;
    // In state 'opening' the bytes waiting for the file are in `chunks` (and nothing is in flight); in 'file', `chunks` is empty.
    this.memory.writing(-(this.inFlightBytes + this.memoryBytes));
    this.inFlight = [];
    this.inFlightBytes = 0;
    this.memoryStart = this.fileBytes;
    // Bytes that were never handed to the file (state 'opening') are still in `chunks`, after nothing.
    this.chunks = [...unwritten, ...this.held];
    this.memoryBytes = this.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    if (this.memoryBytes > this.unspillableBytes || this.memory.overBudget) {
      this.fail(`it could not be spilled to disk (${this.spillError}) and does not fit in memory`);
      return;
    }
    this.settle();
  }

  private fail(reason: string): void {
    if (this.failure) return;
    spoolCounters.failedBodies++;
    this.failure = new SpoolFailedError(`message body of ${this.bytes}+ bytes lost: ${reason}`);
    this.memory.release(this.memoryBytes);
    this.segment = undefined;
    this.releasePooled();
    this.chunks = [];
    this.tailStale = false;
    this.memoryBytes = 0;
    this.settle();
  }

  /** The chunks held in memory, the last one's view brought up to what the segment holds. */
  private get held(): Buffer[] {
    if (this.tailStale) {
      this.tailStale = false;
      this.chunks[this.chunks.length - 1] = (this.segment as Buffer).subarray(0, this.segmentFill);
    }
    return this.chunks;
  }

  private endStreamWhenWritten(): void {
    const stream = this.file?.stream;
    if (this.finishing && this.state === 'file' && stream && !stream.writableEnded) stream.end();
  }

  /** Lost or disposed: nothing can be read any more. */
  private get gone(): boolean {
    return this.disposed || this.failure !== undefined;
  }

  /**
   * Why the body cannot be read, or undefined while it can. A disposed spool's error is made here, on
   * first use, not in dispose(): a clean body that was delivered and freed is never asked.
   */
  private lost(): SpoolFailedError | undefined {
    if (this.disposed) this.failure ??= new SpoolFailedError('the body was discarded (its session ended)');
    return this.failure;
  }

  private get settled(): boolean {
    if (this.gone) return true;
    if (this.state === 'opening') return false;
    if (this.state === 'file') return this.inFlight.length === 0 && (!this.finishing || this.streamEnded);
    return true;
  }

  private whenSettled(): Promise<void> {
    const lost = this.lost();
    if (lost) return Promise.reject(lost);
    if (this.settled) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private settle(): void {
    if (!this.settled || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    const lost = this.lost();
    for (const waiter of waiters) {
      if (lost) waiter.reject(lost);
      else waiter.resolve();
    }
  }

  private throwIfLost(): void {
    const lost = this.lost();
    if (lost) throw lost;
  }

  /** Fills `into` from the file, starting at body offset `from` (and never reading past `fileEnd`). */
  private async readFile(into: Buffer, from: number, fileEnd: number): Promise<void> {
    const file = this.file;
    this.throwIfLost();
    if (!file) throw new Error('spool file missing');
    const length = Math.min(into.length, fileEnd - from);
    const handle = await this.files.open(file.path);
    try {
      for (let done = 0; done < length; ) {
        const { bytesRead } = await handle.read(into, done, Math.min(ASSEMBLY_STEP_BYTES, length - done), from + done);
        if (bytesRead === 0) throw new Error('spool file is shorter than the body');
        done += bytesRead;
      }
    } finally {
      await handle.close();
    }
    this.throwIfLost();
  }

  private removeDir(dir: string): void {
    this.files.removeDir(dir).catch(() => undefined);
  }
}

/** Accounting without limits, for a spool used outside a session. */
function unbudgeted(): SessionMemory {
  const none = Number.POSITIVE_INFINITY;
  return new ProcessMemory(none).openSession({ sessionBytes: none, diskWriteWindowBytes: none, scansWaiting: none });
}

/** The views are made at once, while the spool still holds its segment (a consumer pins it before the spool lets go). */
function sliceChunks(chunks: Buffer[], start: number, end: number): Buffer[] {
  const slices: Buffer[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    const chunkEnd = offset + chunk.length;
    if (chunkEnd > start && offset < end) slices.push(chunk.subarray(Math.max(0, start - offset), Math.min(chunk.length, end - offset)));
    offset = chunkEnd;
    if (offset >= end) break;
  }
  return slices;
}
