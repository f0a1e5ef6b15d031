import type { Logger } from 'pino';
import type { LiveConfig } from '../config/live-config.js';
import type { SessionServerActions } from '../protocol/session-ports.js';
import type { BodyScanner } from '../scan/body-scanner.js';
import type { CertificateSource } from './client-tls.js';
import type { Config } from '../config/schema.js';
import { AccountScannedCopies } from './account-scanned-copies.js';
import { sessionFactsRead } from './session-facts-read.js';
import { startListener, type RunningListener } from './listener.js';
import { platformLookup, type LookupClient } from './client-process/index.js';
import { LiveExcludedIps, resolveWithDns, type Resolve } from './excluded-ips.js';

export interface RunningProxy {
  listeners: RunningListener[];
  /** Scanned copies shared by the sessions of an account (scan.sharedCopies); clear() on every verdict change. */
  scannedCopies: AccountScannedCopies;
  close(): Promise<void>;
}

export interface ProxyServices {
  certificates: CertificateSource;
  scanner: BodyScanner;
  log: Logger;
  /** Defaults: this OS's process lookup, and DNS for excluded host names (tests replace them). */
  lookupClient?: LookupClient;
  /** How long a connection's decision waits for lookupClient (default 3 s). */
  lookupTimeoutMs?: number;
  resolve?: Resolve;
  /** Retroactive remediation: what sessions on an upstream carry out once their user is known (#14). */
  serverActionsFor?(upstream: string): SessionServerActions;
  /** Where shared scanned copies are spooled (emptied at start); default: a new directory in the temp dir. */
  scannedCopiesDir?: string;
}

/** Listeners are started from the configuration as it is now; everything else is read from `live` per connection. */
export async function startProxy(live: LiveConfig, services: ProxyServices): Promise<RunningProxy> {
  const listeners: RunningListener[] = [];
  const excludedIps = new LiveExcludedIps(live, services.resolve ?? resolveWithDns, services.log);
  const sharing = (config: Config) => ({ ...config.scan.sharedCopies, sessionFactsRead: sessionFactsRead(config) });
  const scannedCopies = await AccountScannedCopies.open({ ...sharing(live.current), dir: services.scannedCopiesDir });
  const scannedCopiesFor = (upstream: string) => scannedCopies.forUpstream(upstream);
  // A copy was delivered under the rules and settings of its time: after a reload, messages are scanned again.
  const stopFollowing = live.onChange((next) => scannedCopies.limit(sharing(next)));
  const shared = { ...services, live, excludedIps, lookupClient: services.lookupClient ?? platformLookup(), scannedCopiesFor };
  try {
    for (const listener of live.current.listeners) listeners.push(await startListener(listener, shared));
  } catch (error) {
    excludedIps.stop();
    stopFollowing();
    await Promise.all(listeners.map((listener) => listener.close()));
    await scannedCopies.close();
    throw error;
  }
  return {
    listeners,
    scannedCopies,
    close: async () => {
      excludedIps.stop();
      stopFollowing();
      await Promise.all(listeners.map((listener) => listener.close()));
      await scannedCopies.close();
    },
  };
}
