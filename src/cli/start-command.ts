import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { describeCa, initCa, LeafIssuer } from '../ca/index.js';
import { parseHostPort, isLoopbackHost } from '../config/address.js';
import { LiveConfig } from '../config/live-config.js';
import type { Config } from '../config/schema.js';
import { loadConfigAssigningRuleIds } from '../config/store.js';
import { watchConfigFile } from '../config/watch.js';
import { startProxy } from '../proxy/proxy.js';
import { createScanSetup } from '../scan/create-pipeline.js';
import { quarantineDir } from '../store/quarantine.js';
import { createLogger, logFilePath } from '../store/log.js';
import { UserError } from '../user-error.js';
import { describeCaForClient, describeListenerForClient } from './client-instructions.js';
import { cliContext } from './context.js';
import { addListenerFlags, listenerFromFlags, type ListenerFlags } from './listener-flags.js';

export function registerStartCommand(program: Command): void {
  addListenerFlags(program.command('start').description('run the proxy (one listener from flags, or all listeners of the configuration file)'), false)
    .option('--name <name>', 'name of the listener given by flags')
    .action(async (flags: Partial<ListenerFlags>, command: Command) => {
      const context = cliContext(command);
      const explicitConfig = command.optsWithGlobals<{ config?: string }>().config !== undefined;
      if (explicitConfig && !existsSync(context.configPath)) throw new UserError(`${context.configPath}: cannot read config file: ENOENT`);
      const config = effectiveConfig(flags, context.configPath);
      await checkUpstreamsResolve(config);
      const { ca, created } = await initCa(context.dataDir);
      const log = createLogger({ dataDir: context.dataDir, console: true });
      const certificates = new LeafIssuer(ca, context.dataDir);
      const scanning = await createScanSetup(config, context.dataDir, log, config.scan.engines, { workers: true, countRuleHits: true });
      const live = new LiveConfig(config);
      const proxy = await startProxy(live, { certificates, scanner: scanning.pipeline, log });
      // Rules, exclusions and scan settings follow the file while the proxy runs; listeners from flags stay.
      const watcher = watchConfigFile(context.configPath, live, log, { load: () => effectiveConfig(flags, context.configPath) });
      scanning.follow(live);
      process.on('SIGHUP', () => watcher.reload());
      // Before the banner: whoever reads it may stop the proxy at once.
      const stop = async (signal: string): Promise<void> => {
        log.info({ signal }, 'stopping');
        watcher.stop();
        await proxy.close();
        await scanning.close();
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
    });
}

function effectiveConfig(flags: Partial<ListenerFlags>, configPath: string): Config {
  const base = loadConfigAssigningRuleIds(configPath);
  if (flags.upstream) return { ...base, listeners: [listenerFromFlags(flags as ListenerFlags, base.tlsPorts)] };
  if (base.listeners.length === 0) {
    throw new UserError(`no listeners in ${configPath}; pass --upstream HOST:PORT, or add one with: inboxguard listeners add --name NAME --upstream HOST:PORT`);
  }
  return base;
}

async function checkUpstreamsResolve(config: Config): Promise<void> {
  for (const listener of config.listeners) {
    const { host } = parseHostPort(listener.upstream);
    if (isIP(host)) continue;
    try {
      await lookup(host);
    } catch {
      throw new UserError(`listener ${listener.name}: cannot resolve upstream host ${host}; check the name or your network`);
    }
  }
}
