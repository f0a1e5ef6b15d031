import type net from 'node:net';
import type { Logger } from 'pino';
import type { PreludeOutput } from '../protocol/prelude.js';

const CLOSE_GRACE_MS = 5_000;

export interface RelayStats {
  bytesFromClient: number;
  bytesFromServer: number;
}

export interface Relay {
  stats(): RelayStats;
}

export interface RelayOptions {
  client: net.Socket;
  upstream: net.Socket;
  ready: Extract<PreludeOutput, { kind: 'ready' }>;
  log: Logger;
  onEnd(reason: string): void;
}

/**
 * Byte-for-byte relay with backpressure (pipe pauses the reader while the writer is full) and
 * half-close: when one side ends, the other is ended after its pending bytes are flushed.
 */
export function startRelay({ client, upstream, ready, onEnd }: RelayOptions): Relay {
  const stats: RelayStats = { bytesFromClient: 0, bytesFromServer: 0 };
  if (ready.serverBytes.length > 0) client.write(ready.serverBytes);
  if (ready.clientBytes.length > 0) upstream.write(ready.clientBytes);
  stats.bytesFromServer += ready.serverBytes.length;
  stats.bytesFromClient += ready.clientBytes.length;
  client.on('data', (chunk: Buffer) => (stats.bytesFromClient += chunk.length));
  upstream.on('data', (chunk: Buffer) => (stats.bytesFromServer += chunk.length));
  client.pipe(upstream);
  upstream.pipe(client);
  endTogether(client, upstream, 'client', onEnd);
  endTogether(upstream, client, 'upstream', onEnd);
  return { stats: () => ({ ...stats }) };
}

function endTogether(side: net.Socket, other: net.Socket, name: string, onEnd: (reason: string) => void): void {
  side.once('close', () => {
    if (other.destroyed) return onEnd(`${name} closed the connection`);
    other.end();
    const timer = setTimeout(() => onEnd(`${name} closed the connection`), CLOSE_GRACE_MS);
    timer.unref();
    other.once('close', () => {
      clearTimeout(timer);
      onEnd(`${name} closed the connection`);
    });
  });
}
