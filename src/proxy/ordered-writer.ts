import type { Writable } from 'node:stream';
import { segmentPool, type SegmentPool } from '../scan/segment-pool.js';

/**
 * Small writes made in one turn of the event loop are corked and leave together at its end: a FETCH
 * response released by a verdict (its literal header, the body, the closing line and the tagged OK) is
 * one write to the socket, one TLS record and one wake-up for the client instead of two or more. A
 * write beyond this (a large body slice) uncorks first and goes on its own, so nothing large is ever
 * copied to be joined.
 */
export const COALESCE_BYTES = 16 * 1024;

/**
 * Writes buffers and asynchronous byte sources to a socket strictly in the order they were queued.
 * Buffers go straight to the socket while nothing asynchronous is in flight (the common, fast path).
 * Any failure (a socket that is gone, a source that throws) is reported once through onError; from
 * then on everything is dropped, so nothing is written after a gap.
 */
export class OrderedWriter {
  // The queue, the waiters and the pinned set are created when first written (an idle session has none).
  private queue: (Buffer | AsyncIterable<Buffer>)[] | undefined;
  private streaming = false;
  private queuedBytes = 0;
  private idleWaiters: (() => void)[] | undefined;
  private failed = false;
  /** Writes handed to the socket whose callback has not run yet (the bytes are still in its buffers). */
  private unflushed = 0;
  private flushWaiters: (() => void)[] | undefined;
  /** The socket is corked until the end of this turn, holding corkedBytes. */
  private corked = false;
  private corkedBytes = 0;
  /** Queued buffers on pooled segments that write() pinned. */
  private pinnedInQueue: Set<Buffer> | undefined;

  constructor(
    private readonly socket: Writable,
    private readonly onError: (error: Error) => void,
    private readonly onIdle: () => void,
    /** Bytes on its segments are pinned from write() until the socket is done with them (see segment-pool.ts). */
    private readonly segments: SegmentPool = segmentPool,
  ) {}

  /** Bytes accepted but not yet handed to the socket, plus what the socket itself buffers. */
  get pendingBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  /** True while an asynchronous source is being written (a body may be half-written). */
  get busy(): boolean {
    return this.streaming;
  }

  /** Resolves once everything queued so far has been handed to the socket (at once when nothing is queued). */
  whenIdle(): Promise<void> {
    if (!this.streaming) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  /**
   * Resolves true once everything queued so far has been handed to the socket and the socket has
   * flushed its own buffer; false when the socket went away or a write failed first.
   */
  async whenDelivered(): Promise<boolean> {
    await this.whenIdle();
    if (this.failed || this.gone()) return false;
    if (this.unflushed === 0) return true;
    return new Promise((resolve) => {
      const onFlushed = (): void => {
        this.socket.removeListener('close', onClose);
        resolve(!this.failed && !this.gone());
      };
      const onClose = (): void => {
        this.flushWaiters = this.flushWaiters?.filter((waiter) => waiter !== onFlushed);
        resolve(false);
      };
      (this.flushWaiters ??= []).push(onFlushed);
      this.socket.once('close', onClose);
    });
  }

  write(bytes: Buffer): void {
    if (bytes.length === 0 || this.failed) return;
    if (!this.streaming) {
      if (this.gone()) return this.fail(new Error('client connection closed'));
      this.socketWrite(bytes);
      return;
    }
    if (this.segments.pin(bytes)) (this.pinnedInQueue ??= new Set()).add(bytes);
    (this.queue ??= []).push(bytes);
    this.queuedBytes += bytes.length;
  }

  writeSource(source: AsyncIterable<Buffer>): void {
    if (this.failed) return;
    (this.queue ??= []).push(source);
    if (!this.streaming) void this.drainQueue();
  }

  private socketWrite(bytes: Buffer): boolean {
    this.unflushed += 1;
    const pinned = this.segments.pin(bytes);
    if (this.corkedBytes + bytes.length <= COALESCE_BYTES) {
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        process.nextTick(this.uncork);
      }
      this.corkedBytes += bytes.length;
    } else {
      this.uncork();
    }
    if (!pinned) return this.socket.write(bytes, this.flushed);
    // Runs however the write ends (written, failed, or dropped by a destroyed socket).
    return this.socket.write(bytes, () => {
      this.segments.unpin(bytes);
      this.flushed();
    });
  }

  /** Sends what this turn corked (once: a later write may have done it already). */
  private readonly uncork = (): void => {
    if (!this.corked) return;
    this.corked = false;
    this.corkedBytes = 0;
    this.socket.uncork();
  };

  private readonly flushed = (): void => {
    this.unflushed -= 1;
    if (this.unflushed > 0) return;
    const waiters = this.flushWaiters;
    if (waiters === undefined) return;
    this.flushWaiters = undefined;
    for (const wake of waiters) wake();
  };

  private gone(): boolean {
    return this.socket.destroyed || this.socket.writableEnded;
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    for (const item of this.queue ?? []) if (Buffer.isBuffer(item)) this.unpinQueued(item);
    this.queue = undefined;
    this.queuedBytes = 0;
    this.onError(error);
  }

  private async drainQueue(): Promise<void> {
    this.streaming = true;
    try {
      while (this.queue !== undefined && this.queue.length > 0 && !this.failed) {
        const item = this.queue.shift() as Buffer | AsyncIterable<Buffer>;
        if (Buffer.isBuffer(item)) {
          this.queuedBytes -= item.length;
          try {
            await this.send(item);
          } finally {
            // Its socket write holds a pin of its own.
            this.unpinQueued(item);
          }
          continue;
        }
        for await (const chunk of item) await this.send(chunk);
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.streaming = false;
      if (this.queue?.length === 0) this.queue = undefined;
      const waiters = this.idleWaiters ?? [];
      this.idleWaiters = undefined;
      for (const resolve of waiters) resolve();
      try {
        this.onIdle();
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  private unpinQueued(bytes: Buffer): void {
    if (this.pinnedInQueue?.delete(bytes)) this.segments.unpin(bytes);
  }

  private send(bytes: Buffer): Promise<void> | void {
    if (this.failed) throw new Error('an earlier write failed');
    if (this.gone()) throw new Error('client connection closed');
    if (this.socketWrite(bytes)) return;
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.socket.removeListener('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.socket.removeListener('drain', onDrain);
        reject(new Error('client connection closed'));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }
}
