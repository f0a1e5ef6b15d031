// Which local process is on the client side of an accepted connection, per OS. A lookup never
// takes longer than its time limit: the session goes on with "unknown" rather than wait, which means
// the connection is inspected (no exclusion can match) and its "connection relayed" line says why.
import type net from 'node:net';
import { lookupDarwin } from './darwin.js';
import { LinuxClientLookup } from './linux.js';
import type { ClientLookup, ConnectionEnds } from './types.js';
import { lookupWindows } from './windows.js';

export type { ClientApplication, ClientLookup } from './types.js';

const LOOKUP_TIMEOUT_MS = 3000;

export type LookupClient = (ends: ConnectionEnds) => Promise<ClientLookup>;

export function platformLookup(platform: NodeJS.Platform = process.platform): LookupClient {
  switch (platform) {
    case 'linux': {
      const linux = new LinuxClientLookup();
      return (ends) => linux.lookup(ends);
    }
    case 'darwin':
      return lookupDarwin;
    case 'win32':
      return lookupWindows;
    default:
      return async () => ({ unknown: `application lookup is not supported on ${platform}` });
  }
}

function connectionEnds(socket: net.Socket): ConnectionEnds | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return undefined;
  return { clientAddress: remoteAddress, clientPort: remotePort, proxyAddress: localAddress, proxyPort: localPort };
}

/** Starts looking the client up; the promise never rejects. */
export function lookupClientApplication(lookup: LookupClient, socket: net.Socket): Promise<ClientLookup> {
  const ends = connectionEnds(socket);
  if (!ends) return Promise.resolve({ unknown: 'the client socket has no addresses (already closed)' });
  return lookup(ends).catch((error: Error): ClientLookup => ({ unknown: `lookup failed: ${error.message}` }));
}

/**
 * Waits for a lookup started earlier at most timeoutMs more. The session calls this once the connection
 * is otherwise ready (both legs negotiated), so the limit bounds the delay the lookup adds, not its run
 * time on a busy machine where the handshakes are slow too.
 */
export function awaitLookup(pending: Promise<ClientLookup>, timeoutMs: number = LOOKUP_TIMEOUT_MS): Promise<ClientLookup> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ClientLookup>((resolve) => {
    timer = setTimeout(() => resolve({ unknown: `lookup still running ${timeoutMs} ms after the connection was ready; inspected as if no exclusion matched` }), timeoutMs);
    timer.unref();
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}
