import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { describeCa, initCa, LeafIssuer } from '../ca/index.js';
import { parseHostPort, isLoopbackHost } from '../config/address.js';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { readConfigOrDefaults } from '../config/store.js';
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
      const config = effectiveConfig(flags, context.configPath, command.optsWithGlobals<{ config?: string }>().config !== undefined);
      await checkUpstreamsResolve(config);
      const { ca, created } = await initCa(context.dataDir);
      const log = createLogger({ dataDir: context.dataDir, console: true });
      const certificates = new LeafIssuer(ca, context.dataDir);
      const scanning = await createScanSetup(config, context.dataDir, log, config.scan.engines, { workers: true });
      const proxy = await startProxy(config, { certificates, scanner: scanning.pipeline, log });

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

      const stop = async (signal: string): Promise<void> => {
        log.info({ signal }, 'stopping');
        await proxy.close();
        await scanning.close();
        log.flush();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}

function effectiveConfig(flags: Partial<ListenerFlags>, configPath: string, explicitConfig: boolean): Config {
  const base = explicitConfig ? loadConfigFile(configPath) : readConfigOrDefaults(configPath);
  if (flags.upstream) return { ...base, listeners: [listenerFromFlags(flags as ListenerFlags)] };
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
