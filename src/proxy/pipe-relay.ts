// Relays a connection that is not inspected: after the prelude, the two sockets are piped to each
// other (coalescing-pipe.ts: what one turn read leaves in one write). Each direction ends its
// destination when its source ends (half-close is kept); the session ends when either socket closes.
// Socket errors are reported by the session's own handlers.
import type net from 'node:net';
import type { PreludeOutput } from '../protocol/prelude.js';
import { CLOSE_GRACE_MS } from '../protocol/session-core.js';
import { pipeCoalesced } from './coalescing-pipe.js';
import type { Relay, RelayStats } from './engine-relay.js';

export interface PipeRelayOptions {
  client: net.Socket;
  upstream: net.Socket;
  ready: Extract<PreludeOutput, { kind: 'ready' }>;
  onEnd(reason: string): void;
}

export function startPipeRelay({ client, upstream, ready, onEnd }: PipeRelayOptions): Relay {
  const counters: RelayStats = { bytesFromClient: ready.clientBytes.length, bytesFromServer: ready.serverBytes.length };
  if (ready.serverBytes.length > 0) client.write(ready.serverBytes);
  if (ready.clientBytes.length > 0) upstream.write(ready.clientBytes);
  pipeCoalesced(client, upstream, (chunk) => (counters.bytesFromClient += chunk.length));
  pipeCoalesced(upstream, client, (chunk) => (counters.bytesFromServer += chunk.length));
  client.once('close', () => onEnd('client closed the connection'));
  upstream.once('close', () => {
    // What the server sent last is flushed to the client before the session ends.
    client.end();
    setTimeout(() => onEnd('upstream closed the connection'), CLOSE_GRACE_MS).unref();
  });
  // A 'data' listener only resumes a stream that is not paused; the session may have paused both while it decided.
  client.resume();
  upstream.resume();
  return { stats: () => ({ ...counters }) };
}
