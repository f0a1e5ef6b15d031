import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Command } from 'commander';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';
import type { ServiceContext } from './service/service-actions.js';

export function registerServiceCommands(program: Command): void {
  const service = program.command('service').description('start inboxguard with your desktop session (systemd user unit, launchd agent, scheduled task at logon)');
  service
    .command('install')
    .description('install and start the service for this data dir')
    .action(async (_options: unknown, command: Command) => {
      const { installService } = await import('./service/service-actions.js');
      await installService(serviceContext(command));
    });
  service
    .command('uninstall')
    .description('stop and remove the service')
    .action(async (_options: unknown, command: Command) => {
      const { uninstallService } = await import('./service/service-actions.js');
      await uninstallService(serviceContext(command));
    });
  service
    .command('status')
    .description('whether the service is installed and running')
    .action(async (_options: unknown, command: Command) => {
      const { showServiceStatus } = await import('./service/service-actions.js');
      await showServiceStatus(serviceContext(command));
    });

  program
    .command('logs')
    .description('print the proxy log (<data-dir>/logs/inboxguard.log)')
    .option('-n, --lines <count>', 'how many of the last lines', '50')
    .option('-f, --follow', 'keep printing lines as they are written (Ctrl-C stops)')
    .option('--json', 'print the log records as written (JSON lines)')
    .action(async (options: { lines: string; follow?: boolean; json?: boolean }, command: Command) => {
      const count = Number(options.lines);
      if (!Number.isInteger(count) || count < 0) throw new UserError(`--lines ${options.lines}: give a whole number, 0 or more`);
      const { printLog } = await import('./print-log.js');
      await printLog(cliContext(command).dataDir, { count, follow: options.follow ?? false, json: options.json ?? false });
    });
}

function serviceContext(command: Command): ServiceContext {
  const context = cliContext(command);
  const explicitConfig = command.optsWithGlobals<{ config?: string }>().config;
  if (explicitConfig !== undefined && !existsSync(context.configPath)) throw new UserError(`${context.configPath}: cannot read config file: ENOENT`);
  return { ...context, home: homedir(), explicitConfig: explicitConfig === undefined ? undefined : context.configPath };
}
