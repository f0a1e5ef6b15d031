import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { parseHostPort } from '../config/address.js';
import type { Config } from '../config/schema.js';
import { loadConfigAssigningRuleIds } from '../config/store.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';
import { addListenerFlags, listenerFromFlags, type ListenerFlags } from './listener-flags.js';
import { capYoungGenerationGrowth } from './young-generation.js';

export function registerStartCommand(program: Command): void {
  addListenerFlags(program.command('start').description('run the proxy (one listener from flags, or all listeners of the configuration file)'), false)
    .option('--name <name>', 'name of the listener given by flags')
    .action(async (flags: Partial<ListenerFlags>, command: Command) => {
      capYoungGenerationGrowth(); // when node was started without PROXY_NODE_FLAGS
      const context = cliContext(command);
      const explicitConfig = command.optsWithGlobals<{ config?: string }>().config !== undefined;
      if (explicitConfig && !existsSync(context.configPath)) throw new UserError(`${context.configPath}: cannot read config file: ENOENT`);
      const config = effectiveConfig(flags, context.configPath);
      await checkUpstreamsResolve(config);
      const { runProxy } = await import('./run-proxy.js');
      await runProxy(config, context, () => effectiveConfig(flags, context.configPath));
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
