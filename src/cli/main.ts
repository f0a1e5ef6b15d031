#!/usr/bin/env -S node --max-semi-space-size=1
import { Command, CommanderError } from 'commander';
import { CaError } from '../ca/ca-error.js';
import { UserError } from '../user-error.js';
import { INBOXGUARD_VERSION } from '../version.js';
import { registerCaCommands } from './ca-commands.js';
import { registerConfigCommands } from './config-commands.js';
import { registerDoctorCommand } from './doctor-command.js';
import { registerEventsCommand } from './events-commands.js';
import { registerExcludeCommands } from './exclude-commands.js';
import { registerHoldsCommands } from './holds-commands.js';
import { registerListenerCommands } from './listeners-commands.js';
import { registerMailboxCommands } from './mailbox-commands.js';
import { registerPortsCommands } from './ports-commands.js';
import { registerProtocolsCommands } from './protocols-commands.js';
import { registerQuarantineCommands } from './quarantine-commands.js';
import { registerRulesCommands } from './rules-commands.js';
import { registerRulesTestCommand } from './rules-test-command.js';
import { registerScanCommand } from './scan-command.js';
import { registerServiceCommands } from './service-commands.js';
import { registerStartCommand } from './start-command.js';
import { registerVerdictsCommands } from './verdicts-commands.js';
import { registerVerdictsSyncStatus } from './verdicts-sync-command.js';

const program = new Command()
  .name('inboxguard')
  .description('Local TLS-terminating IMAP/POP3 scanning proxy for desktop mail clients')
  .version(INBOXGUARD_VERSION)
  .option('--data-dir <dir>', 'where the CA, config, logs and quarantine live (default $INBOXGUARD_HOME or ~/.inboxguard)')
  .option('--config <file>', 'configuration file (default <data-dir>/config.yaml)')
  .showHelpAfterError()
  .exitOverride();

// Commands import their heavy parts (CA, proxy, scanning) only when they run, so every command starts quickly.
registerStartCommand(program);
registerCaCommands(program);
registerListenerCommands(program);
registerConfigCommands(program);
registerQuarantineCommands(program);
registerEventsCommand(program);
registerScanCommand(program);
registerMailboxCommands(program);
registerRulesTestCommand(registerRulesCommands(program));
registerExcludeCommands(program);
registerProtocolsCommands(program);
registerPortsCommands(program);
registerHoldsCommands(program);
registerVerdictsSyncStatus(registerVerdictsCommands(program));
registerDoctorCommand(program);
registerServiceCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (error instanceof UserError || error instanceof CaError) {
    console.error(`inboxguard: ${error.message}`);
    process.exit(error instanceof UserError ? error.exitCode : 2);
  }
  throw error;
}
