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

/** Looks the client up, never failing and never taking longer than timeoutMs. */
export function lookupClientApplication(lookup: LookupClient, socket: net.Socket, timeoutMs: number = LOOKUP_TIMEOUT_MS): Promise<ClientLookup> {
  const ends = connectionEnds(socket);
  if (!ends) return Promise.resolve({ unknown: 'the client socket has no addresses (already closed)' });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ClientLookup>((resolve) => {
    timer = setTimeout(() => resolve({ unknown: `lookup took longer than ${timeoutMs} ms; inspected as if no exclusion matched` }), timeoutMs);
    timer.unref();
  });
  const result = lookup(ends).catch((error: Error): ClientLookup => ({ unknown: `lookup failed: ${error.message}` }));
  return Promise.race([result, timeout]).finally(() => clearTimeout(timer));
}
