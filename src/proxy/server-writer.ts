import type { Writable } from 'node:stream';

/**
 * Writes server-bound bytes in order. A commit (a command that deletes mail: POP3 QUIT, IMAP EXPUNGE,
 * CLOSE, MOVE) waits until the client has been handed everything emitted before it; whatever comes
 * after a waiting commit waits behind it. When the client turns out to be gone, the commit and
 * everything behind it are dropped, so the server never deletes what the client did not get.
 */
export class ServerWriter {
  /** Created when something first has to wait (an idle session has nothing queued). */
  private queue: { bytes: Buffer; commit: boolean }[] | undefined;
  private forwarding = false;
  private stopped = false;

  constructor(
    private readonly upstream: Writable,
    /** Resolves true once everything written to the client so far has left for it; false if it is gone. */
    private readonly clientDelivered: () => Promise<boolean>,
    private readonly onDropped: (bytes: number) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** What the server socket still buffers. */
  get pendingBytes(): number {
    return this.upstream.writableLength;
  }

  write(bytes: Buffer): void {
    this.enqueue(bytes, false);
  }

  commit(bytes: Buffer): void {
    this.enqueue(bytes, true);
  }

  /** Nothing more goes to the server (the session is ending, or the server has gone). */
  stop(): void {
    this.stopped = true;
    this.queue = undefined;
  }

  private enqueue(bytes: Buffer, commit: boolean): void {
    if (this.stopped) return;
    if (!commit && !this.forwarding) return this.send(bytes);
    (this.queue ??= []).push({ bytes, commit });
    if (!this.forwarding) void this.forward();
  }

  private async forward(): Promise<void> {
    this.forwarding = true;
    try {
      let queue = this.queue;
      while (queue !== undefined && queue.length > 0 && !this.stopped) {
        const item = queue[0];
        if (item.commit && !(await this.clientDelivered())) {
          if (this.stopped) return;
          this.onDropped(queue.reduce((total, queued) => total + queued.bytes.length, 0));
          this.stop();
          return;
        }
        if (this.stopped) return;
        queue.shift();
        this.send(item.bytes);
        queue = this.queue;
      }
      if (queue?.length === 0) this.queue = undefined;
    } catch (error) {
      this.onError(error);
    } finally {
      this.forwarding = false;
    }
  }

  private send(bytes: Buffer): void {
    if (this.upstream.destroyed || this.upstream.writableEnded) return;
    this.upstream.write(bytes);
  }
}
