// What `inboxguard start` runs once its configuration is known: the CA, the scanners, the listeners and
// the configuration watcher, until SIGINT or SIGTERM.
import { join } from 'node:path';
import { describeCa, initCa, LeafIssuer } from '../ca/index.js';
import { isLoopbackHost } from '../config/address.js';
import { LiveConfig } from '../config/live-config.js';
import type { Config } from '../config/schema.js';
import { watchConfigFile } from '../config/watch.js';
import type { ControlHandlers } from '../control/routes.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { startProxy, type RunningProxy } from '../proxy/proxy.js';
import { createScanSetup } from '../scan/create-pipeline.js';
import { fullCollection } from '../scan/shared-memory-collection.js';
import { createLogger, logFilePath } from '../store/log.js';
import { quarantineDir } from '../store/quarantine.js';
import { VerdictStore } from '../store/verdicts.js';
import { INBOXGUARD_VERSION } from '../version.js';
import { RemediationHub } from '../proxy/remediation-hub.js';
import { EventLog, eventsPath } from '../store/events.js';
import { RemediationStore } from '../store/remediations.js';
import { stateDbPath } from '../store/state-db.js';
import type { VerdictSharing } from '../store/verdict-sharing/index.js';
import { describeCaForClient, describeListenerForClient } from './client-instructions.js';
import type { CliContext } from './context.js';

/** `reloadConfig` reads the file again for hot reload (throws a UserError when it is not valid). */
export async function runProxy(config: Config, context: CliContext, reloadConfig: () => Config): Promise<void> {
  const startedAt = new Date().toISOString();
  // Known verdicts block parts before stage 1 even without analysis backends (manual ones, shared ones).
  const verdicts = VerdictStore.open(context.dataDir);
  const remediations = RemediationStore.open(context.dataDir);
  let sharing: VerdictSharing | undefined;
  let proxy: RunningProxy | undefined;
  const handlers: ControlHandlers = {
    forgetVerdict: (sha256) => verdicts.forget(sha256),
    status: () => ({
      pid: process.pid,
      version: INBOXGUARD_VERSION,
      startedAt,
      dataDir: context.dataDir,
      listeners: (proxy?.listeners ?? []).map((listener) => ({ name: listener.config.name, address: `${listener.address.address}:${listener.address.port}`, upstream: listener.config.upstream })),
    }),
  };
  // First, so that a second proxy on the same data dir stops here, before it binds any port.
  const control = await startControlServer(context.dataDir, handlers);
  // Should the start fail, the socket goes with it, and the next start does not find a stale one.
  const { ca, created, log, scanning, live, proxy: running } = await closingOnFailure(control, async () => {
    const { ca, created } = await initCa(context.dataDir);
    const log = createLogger({ dataDir: context.dataDir, console: true });
    const certificates = new LeafIssuer(ca, context.dataDir);
    const live = new LiveConfig(config);
    // Late verdicts move released messages inside the sessions their users open (#14).
    const remediation = new RemediationHub(remediations, new EventLog(eventsPath(context.dataDir)), () => live.current.analysis, log);
    const scanning = await createScanSetup(config, context.dataDir, log, config.scan.engines, { workers: true, countRuleHits: true, verdicts, followUp: remediation });
    // Verdicts shared with other machines (#18): what this machine decides is published; what another
    // machine decides blocks here too and moves the messages released here, as a late verdict does.
    const share = config.analysis.share;
    if (share.redis) {
      // Loaded only when configured: the Redis client is a good part of an idle proxy's memory otherwise.
      const { forgetChange, startVerdictSharing, verdictChange } = await import('../store/verdict-sharing/index.js');
      const blocks = (verdict: string) => verdict === 'malicious' || (verdict === 'suspicious' && live.current.analysis.block === 'suspicious');
      sharing = startVerdictSharing({
        share,
        store: verdicts,
        db: stateDbPath(context.dataDir),
        log,
        onRemoteVerdict: (record) => {
          proxy?.scannedCopies.clear();
          remediation.lateVerdict({ sha256: record.sha256, verdict: record.verdict, name: record.name, backend: record.backend, blocking: blocks(record.verdict) });
        },
      });
      const shared = sharing;
      verdicts.onLocalChange((change) => shared.publish(change.kind === 'verdict' ? verdictChange(change.record) : forgetChange(change.sha256, change.forgottenAt)));
    }
    // Asked per request: without analysis backends (now, after a reload) the hold routes say analysis is off.
    Object.defineProperty(handlers, 'holds', { get: () => (live.current.analysis.backends.length > 0 ? scanning.holds : undefined), enumerable: true });
    const serverActionsFor = (upstream: string) => remediation.forSession(upstream);
    return { ca, created, log, scanning, live, proxy: await startProxy(live, { certificates, scanner: scanning.pipeline, log, serverActionsFor, scannedCopiesDir: join(context.dataDir, 'scanned-copies') }) };
  });
  proxy = running;
  // A copy delivered before a verdict changed may now be one that must be stripped: no session serves it again.
  verdicts.onLocalChange(() => running.scannedCopies.clear());
  // Rules, exclusions and scan settings follow the file while the proxy runs; listeners stay as started.
  const watcher = watchConfigFile(context.configPath, live, log, { load: reloadConfig });
  scanning.follow(live);
  process.on('SIGHUP', () => watcher.reload());
  // Before the banner: whoever reads it may stop the proxy at once.
  const stop = async (signal: string): Promise<void> => {
    log.info({ signal }, 'stopping');
    watcher.stop();
    await control.close();
    await running.close();
    await scanning.close();
    await sharing?.close();
    verdicts.close();
    remediations.close();
    log.flush();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // Starting leaves garbage an idle proxy could carry for hours (configuration parsing, the signatures
  // built once to check the settings): one full collection now frees that space for the sessions to
  // come (measured: 3.5 MiB of the 21.5 MiB heap in use at start).
  fullCollection()?.();

  console.log(`inboxguard ${created ? '(created a new root CA) ' : ''}is running. Set up your mail client with:`);
  for (const listener of running.listeners) {
    console.log(describeListenerForClient(listener.config, listener.address));
    if (!isLoopbackHost(listener.address.address)) {
      console.log(`  WARNING: ${listener.config.name} accepts connections from other machines (${listener.address.address}).`);
    }
  }
  console.log(describeCaForClient(describeCa(ca)));
  console.log(`Scanning with: ${scanning.description}; quarantine: ${quarantineDir(context.dataDir)}; events: inboxguard events --follow`);
  console.log(`Log: ${logFilePath(context.dataDir)}. Stop with Ctrl-C.`);
}

async function closingOnFailure<T>(control: ControlServer, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    await control.close();
    throw error;
  }
}
