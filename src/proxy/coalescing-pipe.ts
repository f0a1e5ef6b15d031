// The pass-through's forwarding of one direction (pipe-relay.ts). A TLS socket emits one 'data' event
// per TLS record it decrypts, and one read from the kernel often holds several records (a server writes
// 4 KiB and 12 KiB records; a 64 KiB read holds a dozen). Written one by one, each record becomes a
// TLS record, an SSL_write, a write(2) and a write callback of its own on the other socket. Here the
// records of one event-loop turn are corked and leave as one writev: Node's TLS socket joins them into
// one SSL_write (one copy of at most COALESCE_LIMIT_BYTES), and they go out in one system call.
import type { Readable, Writable } from 'node:stream';

/** Bytes of one turn joined into one write; beyond it, what is gathered goes and a new batch starts. */
export const COALESCE_LIMIT_BYTES = 64 * 1024;
/**
 * The destination may buffer this much before the source is paused (until the destination drains).
 * Pausing at Node's own high-water mark (16 KiB for a socket) would stop and restart reading on
 * almost every turn of a bulk transfer: a system call each way.
 */
export const PAUSE_ABOVE_BYTES = 256 * 1024;

/**
 * Forwards every chunk of `source` to `destination` in order, unchanged; ends the destination when the
 * source ends (the other direction stays open: half-close). `onChunk` sees each chunk as it arrives.
 * Nothing is written to a destination that is destroyed or ended.
 */
export function pipeCoalesced(source: Readable, destination: Writable, onChunk: (chunk: Buffer) => void): void {
  let corkedBytes = 0;
  let corked = false;
  const uncork = (): void => {
    if (!corked) return;
    corked = false;
    corkedBytes = 0;
    destination.uncork();
  };
  const resume = (): void => {
    source.resume();
  };
  source.on('data', (chunk: Buffer) => {
    onChunk(chunk);
    if (destination.destroyed || destination.writableEnded) return;
    if (corked && corkedBytes + chunk.length > COALESCE_LIMIT_BYTES) uncork();
    if (!corked) {
      corked = true;
      destination.cork();
      // Not nextTick: Node runs the tick queue after each record's 'data' event; the check phase
      // comes after every read of this turn.
      setImmediate(uncork);
    }
    corkedBytes += chunk.length;
    destination.write(chunk);
    if (destination.writableLength > PAUSE_ABOVE_BYTES && !source.isPaused()) {
      source.pause();
      destination.once('drain', resume);
    }
  });
  source.once('end', () => {
    uncork();
    if (!destination.destroyed && !destination.writableEnded) destination.end();
  });
  destination.once('close', () => destination.removeListener('drain', resume));
}
