// The pass-through's forwarding (coalescing-pipe.ts): what arrives in one turn leaves in one write,
// in order and unchanged; a turn's batch is bounded; the source pauses while the destination is full;
// the source's end ends the destination.
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { COALESCE_LIMIT_BYTES, PAUSE_ABOVE_BYTES, pipeCoalesced } from '../../../src/proxy/coalescing-pipe.js';

/** A socket stand-in that records each write operation (one per system call on a real socket); `hold` delays their completion. */
class RecordingSocket extends Writable {
  readonly operations: Buffer[][] = [];
  private held: (() => void)[] | undefined;

  constructor(hold = false) {
    super({ highWaterMark: 16 * 1024 });
    if (hold) this.held = [];
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.operations.push(chunks.map(({ chunk }) => chunk));
    if (this.held) this.held.push(() => callback());
    else callback();
  }

  /** Completes the held writes until none is left. */
  release(): void {
    while (this.held && this.held.length > 0) this.held.shift()!();
  }

  get bytes(): Buffer {
    return Buffer.concat(this.operations.flat());
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Distinct bytes per chunk, so that any reordering or loss shows. */
function chunk(index: number, size: number): Buffer {
  return Buffer.alloc(size, index % 251);
}

function piped(destination = new RecordingSocket()) {
  const source = new PassThrough();
  const seen: number[] = [];
  pipeCoalesced(source, destination, (bytes) => seen.push(bytes.length));
  return { source, destination, seen };
}

describe('coalescing pipe', () => {
  it('writes the chunks that arrive in one turn as one write, in order, at the end of the turn', async () => {
    const { source, destination, seen } = piped();
    const chunks = [chunk(1, 4096), chunk(2, 12288), chunk(3, 4096), chunk(4, 12288)];
    for (const bytes of chunks) source.write(bytes);
    await turn();
    assert.equal(destination.operations.length, 1, 'one write for the turn');
    assert.deepEqual(destination.bytes, Buffer.concat(chunks));
    assert.deepEqual(seen, [4096, 12288, 4096, 12288], 'every chunk counted as it arrived');
  });

  it('bounds a turn\'s write at the limit, and later turns write on their own', async () => {
    const { source, destination } = piped();
    const chunks = Array.from({ length: 10 }, (_, index) => chunk(index, 16 * 1024));
    for (const bytes of chunks) source.write(bytes);
    await turn();
    assert.deepEqual(
      destination.operations.map((operation) => operation.reduce((total, bytes) => total + bytes.length, 0)),
      [COALESCE_LIMIT_BYTES, COALESCE_LIMIT_BYTES, 2 * 16 * 1024],
    );
    source.write(chunk(99, 100));
    await turn();
    assert.equal(destination.operations.length, 4);
    assert.deepEqual(destination.bytes, Buffer.concat([...chunks, chunk(99, 100)]));
  });

  it('pauses the source while the destination holds more than the pause threshold, and resumes it once drained', async () => {
    const { source, destination } = piped(new RecordingSocket(true));
    const chunks = Array.from({ length: PAUSE_ABOVE_BYTES / (16 * 1024) + 2 }, (_, index) => chunk(index, 16 * 1024));
    for (const bytes of chunks) source.write(bytes);
    await turn();
    assert.equal(source.isPaused(), true, 'paused while the destination is full');
    destination.release();
    await turn();
    destination.release();
    await turn();
    assert.equal(source.isPaused(), false, 'resumed after the drain');
    assert.deepEqual(destination.bytes, Buffer.concat(chunks));
  });

  it('ends the destination after the last bytes when the source ends, and writes nothing to an ended destination', async () => {
    const { source, destination } = piped();
    source.write(chunk(1, 10));
    source.end(chunk(2, 20));
    await turn();
    await turn();
    assert.equal(destination.writableEnded, true);
    assert.deepEqual(destination.bytes, Buffer.concat([chunk(1, 10), chunk(2, 20)]));

    const other = piped();
    other.destination.end();
    other.source.write(chunk(3, 10));
    await turn();
    assert.deepEqual(other.destination.operations, [], 'nothing after the end (no write-after-end error)');
  });
});
