import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
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

export async function startProxy(config: Config, services: ProxyServices): Promise<RunningProxy> {
  const listeners: RunningListener[] = [];
  try {
    for (const listener of config.listeners) listeners.push(await startListener(listener, { ...services, settings: config }));
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
