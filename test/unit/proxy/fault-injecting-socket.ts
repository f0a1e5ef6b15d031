import type net from 'node:net';
import { Duplex } from 'node:stream';

/**
 * A FAULT-INJECTING in-memory stand-in for one leg's socket (no network): what the relay writes is
 * kept, what the peer sends is pushed in with receive(). With failWrites set every write fails, as
 * a socket whose peer reset the connection does.
 */
export class FaultInjectingSocket extends Duplex {
  readonly written: Buffer[] = [];
  /** Write operations (one system call each on a real socket), each with the bytes it carried. */
  readonly operations: Buffer[] = [];
  failWrites = false;
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  constructor() {
    super({ allowHalfOpen: false });
  }

  /** As net.Socket, for the relay's options. */
  get socket(): net.Socket {
    return this as unknown as net.Socket;
  }

  get text(): string {
    return Buffer.concat(this.written).toString('latin1');
  }

  /** The peer sends bytes. */
  receive(text: string): void {
    this.push(Buffer.from(text, 'latin1'));
  }

  /** The peer ends its side. */
  peerEnd(): void {
    this.push(null);
  }

  /** Resolves once the text written so far satisfies `test`. */
  until(test: (text: string) => boolean): Promise<void> {
    if (test(this.text)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test: () => test(this.text), resolve }));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    if (this.failWrites) return callback(Object.assign(new Error('fault injected: write failed'), { code: 'ECONNRESET' }));
    for (const { chunk } of chunks) this.written.push(Buffer.from(chunk));
    this.operations.push(Buffer.concat(chunks.map(({ chunk }) => chunk)));
    callback();
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.test()) return true;
      waiter.resolve();
      return false;
    });
  }
}
