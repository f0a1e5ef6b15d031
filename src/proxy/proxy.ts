import type { Logger } from 'pino';
import type { LiveConfig } from '../config/live-config.js';
import type { BodyScanner } from '../scan/body-scanner.js';
import type { CertificateSource } from './client-tls.js';
import { startListener, type RunningListener } from './listener.js';

export interface RunningProxy {
  listeners: RunningListener[];
  close(): Promise<void>;
}

export interface ProxyServices {
  certificates: CertificateSource;
  scanner: BodyScanner;
  log: Logger;
}

/** Listeners are started from the configuration as it is now; everything else is read from `live` per connection. */
export async function startProxy(live: LiveConfig, services: ProxyServices): Promise<RunningProxy> {
  const listeners: RunningListener[] = [];
  try {
    for (const listener of live.current.listeners) listeners.push(await startListener(listener, { ...services, live }));
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.close()));
    throw error;
  }
  return {
    listeners,
    close: async () => {
      await Promise.all(listeners.map((listener) => listener.close()));
    },
  };
}
