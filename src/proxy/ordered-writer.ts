import type { Writable } from 'node:stream';

/**
 * Writes buffers and asynchronous byte sources to a socket strictly in the order they were queued.
 * Buffers go straight to the socket while nothing asynchronous is in flight (the common, fast path).
 */
export class OrderedWriter {
  private queue: (Buffer | AsyncIterable<Buffer>)[] = [];
  private streaming = false;
  private queuedBytes = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly socket: Writable,
    private readonly onError: (error: Error) => void,
    private readonly onIdle: () => void,
  ) {}

  /** Bytes accepted but not yet handed to the socket, plus what the socket itself buffers. */
  get pendingBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  /** Resolves once everything queued so far has been handed to the socket (at once when nothing is queued). */
  whenIdle(): Promise<void> {
    if (!this.streaming) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  write(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (!this.streaming) {
      this.socket.write(bytes);
      return;
    }
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
  }

  writeSource(source: AsyncIterable<Buffer>): void {
    this.queue.push(source);
    if (!this.streaming) void this.drainQueue();
  }

  private async drainQueue(): Promise<void> {
    this.streaming = true;
    try {
      while (this.queue.length > 0) {
        const item = this.queue.shift() as Buffer | AsyncIterable<Buffer>;
        if (Buffer.isBuffer(item)) {
          this.queuedBytes -= item.length;
          await this.send(item);
          continue;
        }
        for await (const chunk of item) await this.send(chunk);
      }
    } catch (error) {
      this.queue = [];
      this.onError(error as Error);
    } finally {
      this.streaming = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
      this.onIdle();
    }
  }

  private send(bytes: Buffer): Promise<void> | void {
    if (this.socket.destroyed) throw new Error('client connection closed');
    if (this.socket.write(bytes)) return;
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
