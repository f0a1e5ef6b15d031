import net from 'node:net';
import type { Logger } from 'pino';
import type { ListenerConfig } from '../config/schema.js';
import type { ScannedCopyStore, SessionServerActions } from '../protocol/session-ports.js';
import type { BodyScanner } from '../scan/body-scanner.js';
import type { LiveConfig } from '../config/live-config.js';
import { parseHostPort } from '../config/address.js';
import { UserError } from '../user-error.js';
import type { CertificateSource } from './client-tls.js';
import type { LookupClient } from './client-process/index.js';
import type { LiveExcludedIps } from './excluded-ips.js';
import { Session } from './session.js';
import { upstreamTarget } from './upstream.js';

export interface RunningListener {
  config: ListenerConfig;
  address: net.AddressInfo;
  close(): Promise<void>;
}

let sessionCounter = 0;

/** Listens for mail clients on one address and runs a Session for each connection. */
export interface ListenerServices {
  certificates: CertificateSource;
  live: LiveConfig;
  scanner: BodyScanner;
  excludedIps: LiveExcludedIps;
  lookupClient: LookupClient;
  lookupTimeoutMs?: number;
  log: Logger;
  serverActionsFor?(upstream: string): SessionServerActions;
  scannedCopiesFor?(upstream: string): ScannedCopyStore;
}

export function startListener(config: ListenerConfig, services: ListenerServices): Promise<RunningListener> {
  const { log } = services;
  const target = upstreamTarget(config);
  const { host, port } = parseHostPort(config.listen, true);
  const sessions = new Set<Session>();
  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    const session = new Session(socket, {
      id: ++sessionCounter,
      listener: config,
      target,
      ...services,
      onClosed: (closed) => sessions.delete(closed),
    });
    sessions.add(session);
    session.start().catch((error: Error) => {
      log.error({ listener: config.name, err: error }, 'session failed unexpectedly');
      session.close('internal error');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenFailure(config, error)));
    server.listen({ host, port }, () => {
      server.removeAllListeners('error');
      server.on('error', (error) => log.error({ listener: config.name, err: error }, 'listener error'));
      resolve({
        config,
        address: server.address() as net.AddressInfo,
        close: () =>
          new Promise<void>((done) => {
            for (const session of sessions) session.close('proxy stopping');
            server.close(() => done());
          }),
      });
    });
  });
}

function listenFailure(config: ListenerConfig, error: NodeJS.ErrnoException): UserError {
  switch (error.code) {
    case 'EADDRINUSE':
      return new UserError(`listener ${config.name}: ${config.listen} is already in use (is inboxguard already running?); choose another listen port`);
    case 'EACCES':
      return new UserError(`listener ${config.name}: no permission to listen on ${config.listen}; use a port above 1023`);
    case 'EADDRNOTAVAIL':
      return new UserError(`listener ${config.name}: ${config.listen} is not an address of this machine`);
    default:
      return new UserError(`listener ${config.name}: cannot listen on ${config.listen}: ${error.message}`);
  }
}
