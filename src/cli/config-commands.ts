import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfigFile } from '../config/load.js';
import { readConfigOrDefaults } from '../config/store.js';
import { cliContext } from './context.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('inspect the configuration file');

  config
    .command('path')
    .description('print where the configuration file is')
    .action((_options: unknown, command: Command) => {
      console.log(cliContext(command).configPath);
    });

  config
    .command('show')
    .description('print the configuration with all defaults filled in')
    .action((_options: unknown, command: Command) => {
      process.stdout.write(stringify(readConfigOrDefaults(cliContext(command).configPath)));
    });

  config
    .command('validate [file]')
    .description('check a configuration file; prints the first problem with its line')
    .action((file: string | undefined, _options: unknown, command: Command) => {
      const path = file ?? cliContext(command).configPath;
      if (!file && !existsSync(path)) {
        console.log(`${path} does not exist yet; the defaults apply.`);
        return;
      }
      const loaded = loadConfigFile(path);
      console.log(`${path} is valid (${loaded.listeners.length} listener${loaded.listeners.length === 1 ? '' : 's'}).`);
    });
}
