// One request/response on a fresh clamd connection: write the frames one after the other (the next
// once the kernel took the previous, which also bounds memory), read until the NUL that ends a
// z-command reply (or until clamd closes), all within a deadline.
// clamd may answer early and close, e.g. when a stream passes StreamMaxLength; a reply read before
// the connection broke still wins. When the break loses the reply, ClamdDroppedError says so.
import type { Socket } from 'node:net';
import { connectTo, describeAddress, type ClamdAddress } from './clamd-address.js';
import { ClamdDroppedError, ClamdError, ClamdTimeoutError } from './clamd-errors.js';

/** Resolves once the frame is handed to the kernel (true) or the write failed (false). */
function written(socket: Socket, frame: Buffer): Promise<boolean> {
  return new Promise((resolve) => socket.write(frame, (err) => resolve(!err)));
}

/** `frames` may be produced while the exchange runs (a streamed file); `signal` gives up on it. */
export function clamdExchange(address: ClamdAddress, frames: Iterable<Buffer> | AsyncIterable<Buffer>, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const where = describeAddress(address);
  return new Promise<string>((resolve, reject) => {
    const socket = connectTo(address);
    const received: Buffer[] = [];
    let socketError: Error | undefined;
    let settled = false;
    let connected = false;

    const finish = (error: Error | undefined, reply?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply ?? '');
    };
    const timer = setTimeout(() => finish(new ClamdTimeoutError(`clamd at ${where} did not answer within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', () => finish(new ClamdError(`the scan was given up`)), { once: true });

    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      const end = chunk.indexOf(0);
      if (end >= 0) {
        const all = Buffer.concat(received);
        finish(undefined, all.toString('utf8', 0, all.indexOf(0)));
      }
    });
    socket.on('error', (err) => {
      socketError = err;
    });
    socket.on('close', () => {
      if (received.length > 0) finish(undefined, Buffer.concat(received).toString('utf8'));
      else if (!connected && socketError) finish(new ClamdError(`clamd at ${where}: ${socketError.message}`));
      else finish(new ClamdDroppedError(`clamd at ${where} closed the connection without a reply${socketError ? ` (${socketError.message})` : ''}`));
    });
    // Between writes the event loop runs, so an early reply (clamd's size limit error) is usually
    // read before the next write runs into the connection clamd has closed.
    socket.once('connect', () => {
      connected = true;
      void (async () => {
        for await (const frame of frames) {
          if (settled || socket.destroyed || !socket.writable) return;
          if (!(await written(socket, frame))) return;
        }
      })();
    });
  });
}
