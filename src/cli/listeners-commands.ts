import type { Command } from 'commander';
import { readConfigOrDefaults, writeConfig } from '../config/store.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';
import { addListenerFlags, listenerFromFlags, type ListenerFlags } from './listener-flags.js';

export function registerListenerCommands(program: Command): void {
  const listeners = program.command('listeners').description('the addresses mail clients connect to, each relaying to one mail server');

  addListenerFlags(listeners.command('add').description('add a listener to the configuration file'), true)
    .requiredOption('--name <name>', 'a short name, e.g. work-imap')
    .action((flags: ListenerFlags, command: Command) => {
      const { configPath } = cliContext(command);
      const config = readConfigOrDefaults(configPath);
      const listener = listenerFromFlags(flags, config.tlsPorts);
      if (config.listeners.some((existing) => existing.name === listener.name)) {
        throw new UserError(`a listener named ${listener.name} already exists; remove it first or pick another --name`);
      }
      if (config.listeners.some((existing) => existing.listen === listener.listen)) {
        throw new UserError(`another listener already uses ${listener.listen}; pick another --listen`);
      }
      writeConfig(configPath, { ...config, listeners: [...config.listeners, listener] });
      console.log(`Added listener ${listener.name}: ${listener.listen} (${listener.protocol}, ${listener.tls}) → ${listener.upstream} (${listener.upstreamTls}) in ${configPath}`);
    });

  listeners
    .command('list')
    .description('show the configured listeners')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }, command: Command) => {
      const { listeners: all } = readConfigOrDefaults(cliContext(command).configPath);
      if (options.json) return console.log(JSON.stringify(all, null, 2));
      if (all.length === 0) return console.log('No listeners. Add one with: inboxguard listeners add --name NAME --upstream HOST:PORT');
      for (const listener of all) {
        console.log(`${listener.name}\t${listener.listen} (${listener.protocol}, client ${listener.tls}) → ${listener.upstream} (upstream ${listener.upstreamTls})`);
      }
    });

  listeners
    .command('remove <name>')
    .description('remove a listener from the configuration file')
    .action((name: string, _options: unknown, command: Command) => {
      const { configPath } = cliContext(command);
      const config = readConfigOrDefaults(configPath);
      if (!config.listeners.some((listener) => listener.name === name)) throw new UserError(`no listener named ${name}`);
      writeConfig(configPath, { ...config, listeners: config.listeners.filter((listener) => listener.name !== name) });
      console.log(`Removed listener ${name}.`);
    });
}
