import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { COALESCE_BYTES, OrderedWriter } from '../../../src/proxy/ordered-writer.js';

/** A socket stand-in whose writes complete only when the test says so (a slow or stuck peer). */
class SlowSocket extends Writable {
  readonly chunks: string[] = [];
  private pending: (() => void)[] = [];

  constructor(highWaterMark = 16) {
    super({ highWaterMark });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(() => {
      this.chunks.push(chunk.toString('latin1'));
      callback();
    });
  }

  /** Completes writes for a number of event-loop turns (the sources here need far fewer). */
  async flushAll(): Promise<void> {
    for (let turn = 0; turn < 50; turn += 1) {
      const pending = this.pending;
      this.pending = [];
      for (const complete of pending) complete();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  get text(): string {
    return this.chunks.join('');
  }
}

/** A socket stand-in that completes every write at once and records each write operation (one per system call on a real socket). */
class CountingSocket extends Writable {
  readonly operations: Buffer[][] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.operations.push([chunk]);
    callback();
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.operations.push(chunks.map(({ chunk }) => chunk));
    callback();
  }
}

async function* source(...parts: string[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    await new Promise((resolve) => setImmediate(resolve));
    yield Buffer.from(part, 'latin1');
  }
}

function writerOn(socket: Writable) {
  const errors: Error[] = [];
  let idles = 0;
  const writer = new OrderedWriter(
    socket,
    (error) => errors.push(error),
    () => (idles += 1),
  );
  return { writer, errors, idles: () => idles };
}

describe('OrderedWriter', () => {
  it('keeps buffers queued behind an asynchronous source in order, and is idle after it', async () => {
    const socket = new SlowSocket(1024);
    const { writer, errors, idles } = writerOn(socket);
    writer.write(Buffer.from('a '));
    writer.writeSource(source('b1 ', 'b2 '));
    writer.write(Buffer.from('c '));
    assert.equal(writer.busy, true);
    assert.equal(writer.pendingBytes, 'a '.length + 'c '.length, 'the queued buffer plus what the socket holds');
    const idle = writer.whenIdle();
    await socket.flushAll();
    await idle;
    writer.write(Buffer.from('d'));
    await socket.flushAll();
    assert.equal(socket.text, 'a b1 b2 c d');
    assert.equal(writer.busy, false);
    assert.equal(idles(), 1);
    assert.deepEqual(errors, []);
  });

  it('waits for drain when the socket is full, without reordering', async () => {
    const socket = new SlowSocket(4);
    const { writer } = writerOn(socket);
    writer.writeSource(source('0123456789', 'abcdefghij'));
    writer.write(Buffer.from('-tail'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(socket.chunks.length === 0, 'nothing completes until the peer reads');
    await socket.flushAll();
    await writer.whenIdle();
    await socket.flushAll();
    assert.equal(socket.text, '0123456789abcdefghij-tail');
  });

  it('whenDelivered resolves true only once the socket has completed every write', async () => {
    const socket = new SlowSocket(1024);
    const { writer } = writerOn(socket);
    writer.write(Buffer.from('status\r\n'));
    writer.writeSource(source('body'));
    let delivered: boolean | undefined;
    void writer.whenDelivered().then((value) => (delivered = value));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(delivered, undefined);
    await socket.flushAll();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(delivered, true);
    assert.equal(socket.text, 'status\r\nbody');
  });

  it('whenDelivered resolves false when the socket closes first', async () => {
    const socket = new SlowSocket(1024);
    const { writer } = writerOn(socket);
    writer.write(Buffer.from('never read'));
    const delivered = writer.whenDelivered();
    socket.destroy();
    assert.equal(await delivered, false);
  });

  it('a source that fails is reported once and nothing queued after it is written', async () => {
    const socket = new SlowSocket(1024);
    const { writer, errors } = writerOn(socket);
    writer.writeSource(
      (async function* () {
        yield Buffer.from('half a bo');
        throw new Error('fault injected: spool read failed');
      })(),
    );
    writer.write(Buffer.from('after the gap'));
    writer.writeSource(source('more'));
    await socket.flushAll();
    await writer.whenIdle();
    writer.write(Buffer.from('later'));
    await socket.flushAll();
    assert.equal(socket.text, 'half a bo');
    assert.deepEqual(errors.map((error) => error.message), ['fault injected: spool read failed']);
    assert.equal(await writer.whenDelivered(), false);
  });

  it('a write to a socket that is gone is reported, not thrown', () => {
    const socket = new SlowSocket(1024);
    const { writer, errors } = writerOn(socket);
    socket.destroy();
    writer.write(Buffer.from('x'));
    writer.write(Buffer.from('y'));
    assert.deepEqual(errors.map((error) => error.message), ['client connection closed']);
  });

  it('small writes of one turn leave in one operation: a released FETCH response is one write', async () => {
    const socket = new CountingSocket();
    const { writer } = writerOn(socket);
    writer.write(Buffer.from('* 1 FETCH (UID 1 BODY[] {5}\r\n'));
    writer.write(Buffer.from('hello'));
    writer.write(Buffer.from(')\r\na1 OK done\r\n'));
    assert.equal(socket.operations.length, 0, 'nothing leaves before the turn ends');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(socket.operations.length, 1);
    assert.equal(Buffer.concat(socket.operations[0]).toString('latin1'), '* 1 FETCH (UID 1 BODY[] {5}\r\nhello)\r\na1 OK done\r\n');
    assert.equal(await writer.whenDelivered(), true);
    // The next turn's response is a write of its own.
    writer.write(Buffer.from('a2 OK NOOP\r\n'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(socket.operations.length, 2);
  });

  it('a large write is never joined with others: what was corked leaves first, the large one on its own', async () => {
    const socket = new CountingSocket();
    const { writer } = writerOn(socket);
    const large = Buffer.alloc(COALESCE_BYTES + 1, 0x61);
    writer.write(Buffer.from('{big}\r\n'));
    writer.write(large);
    writer.write(Buffer.from(')\r\n'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      socket.operations.map((operation) => operation.map((chunk) => chunk.length)),
      [['{big}\r\n'.length], [large.length], [')\r\n'.length]],
    );
    assert.equal(socket.operations[1][0], large, 'passed on as it is, not copied');
  });
});
