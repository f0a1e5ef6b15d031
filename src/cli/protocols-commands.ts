import type { Command } from 'commander';
import { editConfigFile } from '../config/edit.js';
import { readConfigOrDefaults } from '../config/store.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';

const PROTOCOLS = ['imap', 'imaps', 'pop3', 'pop3s'] as const;
type ProtocolName = (typeof PROTOCOLS)[number];

function protocolArgument(value: string): ProtocolName | 'all' {
  const name = value.trim().toLowerCase();
  if (name === 'all' || (PROTOCOLS as readonly string[]).includes(name)) return name as ProtocolName | 'all';
  throw new UserError(`unknown protocol "${value}"; use imap, imaps, pop3, pop3s or all`);
}

export function registerProtocolsCommands(program: Command): void {
  const protocols = program.command('protocols').description('which mail transport is scanned (a switched-off protocol is relayed without inspection)');

  protocols
    .command('list')
    .description('show the protocol switches')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }, command: Command) => {
      const config = readConfigOrDefaults(cliContext(command).configPath);
      if (options.json) return console.log(JSON.stringify({ enabled: config.enabled, ...config.protocols }));
      console.log(`protection\t${config.enabled ? 'on' : 'OFF (nothing is scanned)'}`);
      for (const name of PROTOCOLS) console.log(`${name}\t${config.protocols[name] ? 'scanned' : 'not scanned'}`);
    });

  protocols
    .command('enable <protocol>')
    .description('scan imap, imaps, pop3 or pop3s; "all" turns protection on and scans every protocol')
    .action((value: string, _options: unknown, command: Command) => {
      const name = protocolArgument(value);
      editConfigFile(cliContext(command).configPath, (doc) => {
        if (name !== 'all') return doc.setIn(['protocols', name], true);
        doc.setIn(['enabled'], true);
        for (const protocol of PROTOCOLS) doc.setIn(['protocols', protocol], true);
      });
      console.log(name === 'all' ? 'Protection on; every protocol is scanned.' : `${name} is scanned.`);
    });

  protocols
    .command('disable <protocol>')
    .description('relay imap, imaps, pop3 or pop3s without inspection; "all" turns protection off (the per-protocol switches are kept)')
    .action((value: string, _options: unknown, command: Command) => {
      const name = protocolArgument(value);
      editConfigFile(cliContext(command).configPath, (doc) => {
        if (name === 'all') doc.setIn(['enabled'], false);
        else doc.setIn(['protocols', name], false);
      });
      console.log(name === 'all' ? 'Protection off: mail is relayed without inspection until "inboxguard protocols enable all".' : `${name} is relayed without inspection.`);
    });
}
