// What `inboxguard start` runs once its configuration is known: the CA, the scanners, the listeners and
// the configuration watcher, until SIGINT or SIGTERM.
import { describeCa, initCa, LeafIssuer } from '../ca/index.js';
import { isLoopbackHost } from '../config/address.js';
import { LiveConfig } from '../config/live-config.js';
import type { Config } from '../config/schema.js';
import { watchConfigFile } from '../config/watch.js';
import { startProxy } from '../proxy/proxy.js';
import { createScanSetup } from '../scan/create-pipeline.js';
import { createLogger, logFilePath } from '../store/log.js';
import { quarantineDir } from '../store/quarantine.js';
import { VerdictStore } from '../store/verdicts.js';
import { describeCaForClient, describeListenerForClient } from './client-instructions.js';
import type { CliContext } from './context.js';

/** `reloadConfig` reads the file again for hot reload (throws a UserError when it is not valid). */
export async function runProxy(config: Config, context: CliContext, reloadConfig: () => Config): Promise<void> {
  const { ca, created } = await initCa(context.dataDir);
  const log = createLogger({ dataDir: context.dataDir, console: true });
  const certificates = new LeafIssuer(ca, context.dataDir);
  // Known verdicts block parts before stage 1 even without analysis backends (manual ones, shared ones).
  const verdicts = VerdictStore.open(context.dataDir);
  const scanning = await createScanSetup(config, context.dataDir, log, config.scan.engines, { workers: true, countRuleHits: true, verdicts });
  const live = new LiveConfig(config);
  const proxy = await startProxy(live, { certificates, scanner: scanning.pipeline, log });
  // Rules, exclusions and scan settings follow the file while the proxy runs; listeners stay as started.
  const watcher = watchConfigFile(context.configPath, live, log, { load: reloadConfig });
  scanning.follow(live);
  process.on('SIGHUP', () => watcher.reload());
  // Before the banner: whoever reads it may stop the proxy at once.
  const stop = async (signal: string): Promise<void> => {
    log.info({ signal }, 'stopping');
    watcher.stop();
    await proxy.close();
    await scanning.close();
    verdicts.close();
    log.flush();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  console.log(`inboxguard ${created ? '(created a new root CA) ' : ''}is running. Set up your mail client with:`);
  for (const listener of proxy.listeners) {
    console.log(describeListenerForClient(listener.config, listener.address));
    if (!isLoopbackHost(listener.address.address)) {
      console.log(`  WARNING: ${listener.config.name} accepts connections from other machines (${listener.address.address}).`);
    }
  }
  console.log(describeCaForClient(describeCa(ca)));
  console.log(`Scanning with: ${scanning.description}; quarantine: ${quarantineDir(context.dataDir)}; events: inboxguard events --follow`);
  console.log(`Log: ${logFilePath(context.dataDir)}. Stop with Ctrl-C.`);
}
