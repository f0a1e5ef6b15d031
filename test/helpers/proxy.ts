import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCa, LeafIssuer } from '../../src/ca/index.js';
import { stringify } from 'yaml';
import { LiveConfig } from '../../src/config/live-config.js';
import type { ListenerConfig } from '../../src/config/schema.js';
import { loadConfigAssigningRuleIds } from '../../src/config/store.js';
import { watchConfigFile, type ConfigWatcher } from '../../src/config/watch.js';
import { writePrivateFile } from '../../src/private-files.js';
import { startProxy, type ProxyServices, type RunningProxy } from '../../src/proxy/proxy.js';
import type { AccountScannedCopies } from '../../src/proxy/account-scanned-copies.js';
import type { BodyScanner } from '../../src/scan/body-scanner.js';
import { noScanning } from './no-scanning.js';
import { giveTestCa } from './inboxguard-ca.js';
import { createScanSetup, type ScanSetup } from '../../src/scan/create-pipeline.js';
import { createLogger, logFilePath } from '../../src/store/log.js';
import { VerdictStore } from '../../src/store/verdicts.js';
import type { AnalysisFollowUp } from '../../src/types/analysis-follow-up.js';
import type { HoldControl } from '../../src/types/holds.js';

export type TestListener = Pick<ListenerConfig, 'name' | 'upstream'> & Partial<ListenerConfig>;

export interface TestProxy {
  dataDir: string;
  /** The configuration file the proxy watches (hot reload), as `inboxguard --config` would name it. */
  configPath: string;
  live: LiveConfig;
  /** Re-reads the configuration file now instead of waiting for the watcher. */
  reload(): boolean;
  /** The inboxguard root CA that clients must trust. */
  caPath: string;
  caPem: string;
  port(name: string): number;
  /** Everything logged so far (JSON lines), flushed. */
  logText(): Promise<string>;
  /** With 'pipeline': the messages held for stage-2 analysis. */
  holds?: HoldControl;
  /** Scanned copies shared by the sessions of an account (issue #15). */
  scannedCopies: AccountScannedCopies;
  /** With 'pipeline': the scan workers' counters (live workers, started). */
  scanWorkers?: ScanSetup['workers'];
  close(): Promise<void>;
}

/** Runs the proxy in this process on free loopback ports with a throwaway data dir. */
/** scanner 'pipeline': the production scan pipeline with this proxy's data dir (quarantine, events). */
/** dataDir: reuse a data dir (a restart); it is then left in place on close. */
export async function startTestProxy(
  listeners: TestListener[],
  options: {
    scanner?: BodyScanner | 'pipeline';
    settings?: Record<string, unknown>;
    dataDir?: string;
    /** With 'pipeline': a fault-injecting scan worker entry. */
    workerEntry?: URL;
    /** Retroactive remediation for sessions (a RemediationHub's forSession). */
    serverActionsFor?: ProxyServices['serverActionsFor'];
    /** With 'pipeline': told about released messages and late verdicts. */
    followUp?: AnalysisFollowUp;
    /** Replaces the OS's client-program lookup or its time limit. */
    lookup?: Pick<ProxyServices, 'lookupClient' | 'lookupTimeoutMs'>;
  } = {},
): Promise<TestProxy> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'inboxguard-proxy-'));
  const ownsDataDir = options.dataDir === undefined;
  await giveTestCa(dataDir);
  const { ca } = await initCa(dataDir);
  const log = createLogger({ dataDir, console: false });
  const configPath = join(dataDir, 'config.yaml');
  writePrivateFile(configPath, stringify({ ...options.settings, listeners: listeners.map((listener) => ({ listen: '127.0.0.1:0', ...listener })) }));
  const config = loadConfigAssigningRuleIds(configPath);
  const live = new LiveConfig(config);
  let proxy: RunningProxy;
  let watcher: ConfigWatcher | undefined;
  // As `inboxguard start` runs it: with the verdict store of the data dir.
  const verdicts = options.scanner === 'pipeline' ? VerdictStore.open(dataDir) : undefined;
  const scanning =
    options.scanner === 'pipeline'
      ? await createScanSetup(config, dataDir, log, config.scan.engines, { workers: true, countRuleHits: true, workerEntry: options.workerEntry, verdicts, followUp: options.followUp })
      : undefined;
  const scanner = scanning?.pipeline ?? (options.scanner === 'pipeline' ? undefined : options.scanner) ?? noScanning;
  try {
    proxy = await startProxy(live, { certificates: new LeafIssuer(ca, dataDir), scanner, log, serverActionsFor: options.serverActionsFor, scannedCopiesDir: join(dataDir, 'scanned-copies'), ...options.lookup });
    const copies = proxy.scannedCopies;
    verdicts?.onLocalChange(() => copies.clear());
    watcher = watchConfigFile(configPath, live, log, { load: () => loadConfigAssigningRuleIds(configPath), intervalMs: 100 });
    scanning?.follow(live);
  } catch (error) {
    verdicts?.close();
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const flush = () => new Promise<void>((resolve) => log.flush(() => resolve()));
  return {
    dataDir,
    configPath,
    live,
    reload: () => watcher?.reload() ?? false,
    caPath: ca.certPath,
    caPem: ca.certPem,
    port(name) {
      const listener = proxy.listeners.find((candidate) => candidate.config.name === name);
      if (!listener) throw new Error(`no test listener ${name}`);
      return listener.address.port;
    },
    async logText() {
      await flush();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return readFileSync(logFilePath(dataDir), 'utf8');
    },
    holds: scanning?.holds,
    scanWorkers: scanning?.workers,
    get scannedCopies() {
      return proxy.scannedCopies;
    },
    async close() {
      watcher?.stop();
      await proxy.close();
      await scanning?.close();
      verdicts?.close();
      await flush();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
