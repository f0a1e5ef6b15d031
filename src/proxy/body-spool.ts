import { createReadStream, createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { sharedBuffer } from '../scan/shared-buffer.js';

/** Copy step between yields when assembling a body, so other sessions are served in between. */
const ASSEMBLY_STEP_BYTES = 4 * 1024 * 1024;
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One message body as it arrives from the server: kept in memory up to memoryLimit bytes, then
 * spilled to a 0600 temp file (in a 0700 directory) that is removed on dispose().
 */
export class BodySpool {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private file: { dir: string; path: string; stream: WriteStream } | undefined;
  private finished: Promise<void> | undefined;

  constructor(private readonly memoryLimit: number) {}

  get size(): number {
    return this.bytes;
  }

  get spilled(): boolean {
    return this.file !== undefined;
  }

  append(bytes: Buffer): void {
    this.bytes += bytes.length;
    if (this.file) {
      this.file.stream.write(bytes);
      return;
    }
    this.chunks.push(bytes);
    if (this.bytes > this.memoryLimit) this.spill();
  }

  /** Resolves when every appended byte is readable. */
  finish(): Promise<void> {
    if (!this.finished) {
      const file = this.file;
      this.finished = file ? new Promise((resolve, reject) => file.stream.end((error?: Error | null) => (error ? reject(error) : resolve()))) : Promise.resolve();
    }
    return this.finished;
  }

  /** The whole body in memory (for scanners that need it); undefined once spilled. */
  inMemory(): Buffer | undefined {
    if (this.file) return undefined;
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /**
   * The whole body as one buffer on shared memory (a scan worker reads it without a copy): assembled
   * in steps that yield to the event loop, or read from the spill file by the thread pool.
   */
  async readAll(): Promise<Buffer> {
    const whole = sharedBuffer(this.bytes);
    if (this.file) {
      await this.finish();
      const handle = await open(this.file.path, 'r');
      try {
        for (let offset = 0; offset < whole.length; ) {
          const { bytesRead } = await handle.read(whole, offset, Math.min(ASSEMBLY_STEP_BYTES, whole.length - offset), offset);
          if (bytesRead === 0) throw new Error('spool file is shorter than the body');
          offset += bytesRead;
        }
      } finally {
        await handle.close();
      }
      return whole;
    }
    let offset = 0;
    let sinceYield = 0;
    for (const chunk of this.chunks) {
      chunk.copy(whole, offset);
      offset += chunk.length;
      sinceYield += chunk.length;
      if (sinceYield >= ASSEMBLY_STEP_BYTES) {
        sinceYield = 0;
        await nextTurn();
      }
    }
    return whole;
  }

  /** Bytes [start, end) of a body held in memory, as views of the chunks it arrived in (no copy). */
  memoryRange(start = 0, end = this.bytes): Iterable<Buffer> {
    if (this.file) throw new Error('the body was spilled to disk; use range()');
    return sliceChunks(this.chunks, start, end);
  }

  /** Bytes [start, end) as a stream of chunks. Call after finish(). */
  async *range(start = 0, end = this.bytes): AsyncGenerator<Buffer> {
    if (end <= start) return;
    if (!this.file) {
      yield* sliceChunks(this.chunks, start, end);
      return;
    }
    await this.finish();
    for await (const chunk of createReadStream(this.file.path, { start, end: end - 1, highWaterMark: 256 * 1024 })) yield chunk as Buffer;
  }

  dispose(): void {
    this.chunks = [];
    if (this.file) {
      const { dir, stream } = this.file;
      stream.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private spill(): void {
    const dir = mkdtempSync(join(tmpdir(), 'inboxguard-spool-'));
    const path = join(dir, 'body');
    const stream = createWriteStream(path, { mode: 0o600 });
    for (const chunk of this.chunks) stream.write(chunk);
    this.chunks = [];
    this.file = { dir, path, stream };
  }
}

export function* sliceChunks(chunks: Buffer[], start: number, end: number): Generator<Buffer> {
  let offset = 0;
  for (const chunk of chunks) {
    const chunkEnd = offset + chunk.length;
    if (chunkEnd > start && offset < end) yield chunk.subarray(Math.max(0, start - offset), Math.min(chunk.length, end - offset));
    offset = chunkEnd;
    if (offset >= end) return;
  }
}
