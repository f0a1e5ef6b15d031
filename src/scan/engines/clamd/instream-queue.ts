// INSTREAM frames of a file handed in slice by slice: slices are gathered into chunks of chunkBytes
// (clamd streams faster with large chunks), each chunk goes out as its length and its bytes, the
// zero-length chunk at the end. The writer waits while more than a chunk and a half is queued and
// not yet taken by the connection, so a file streamed to a slow clamd holds about three chunks, never the file.
import { command } from './instream-frames.js';

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(length);
  return prefix;
}

export class InstreamQueue implements AsyncIterable<Buffer> {
  private readonly frames: Buffer[] = [command('INSTREAM')];
  private chunk: Buffer;
  private filled = 0;
  private ended = false;
  private stopped = false;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;
  /** Bytes of the file queued so far. */
  length = 0;

  constructor(private readonly chunkBytes: number) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** Copies the slice in; resolves once the queue has room again (at once when the exchange is over). */
  async write(slice: Buffer): Promise<void> {
    this.length += slice.length;
    for (let at = 0; at < slice.length && !this.stopped; ) {
      const taken = slice.copy(this.chunk, this.filled, at);
      this.filled += taken;
      at += taken;
      if (this.filled === this.chunkBytes) this.flush();
      while (this.frames.length > 3 && !this.stopped) await new Promise<void>((resolve) => (this.wakeWriter = resolve));
    }
  }

  end(): void {
    this.flush();
    this.frames.push(lengthPrefix(0));
    this.ended = true;
    this.wake();
  }

  /** The connection is over (answered, failed or given up): nothing more is queued or waited for. */
  stop(): void {
    this.stopped = true;
    this.frames.length = 0;
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      const frame = this.frames.shift();
      if (frame) {
        this.wakeWriter?.();
        yield frame;
        continue;
      }
      if (this.ended || this.stopped) return;
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }

  private flush(): void {
    if (this.filled === 0) return;
    this.frames.push(lengthPrefix(this.filled), this.chunk.subarray(0, this.filled));
    this.chunk = Buffer.allocUnsafe(this.chunkBytes);
    this.filled = 0;
    this.wake();
  }

  private wake(): void {
    const reader = this.wakeReader;
    const writer = this.wakeWriter;
    this.wakeReader = undefined;
    this.wakeWriter = undefined;
    reader?.();
    writer?.();
  }
}
