import type { Command } from 'commander';
import { DEFAULT_TLS_PORTS } from '../config/schema.js';
import { readConfigOrDefaults } from '../config/store.js';
import { UserError } from '../user-error.js';
import { addToList, removeFromList, splitListArguments } from './config-list-edit.js';
import { cliContext } from './context.js';

const KINDS = { imaps: 'implicit-TLS IMAP', pop3s: 'implicit-TLS POP3' } as const;

/** "993,1993" or several arguments; each a whole number 1-65535. */
function parsePorts(values: string[]): number[] {
  return splitListArguments(values, 'ports: an empty entry; give ports like 993 or 993,1993').map((piece) => {
    const port = Number(piece);
    if (!/^\d+$/.test(piece) || port < 1 || port > 65535) throw new UserError(`ports: "${piece}" is not a port; ports are whole numbers 1-65535`);
    return port;
  });
}

export function registerPortsCommands(program: Command): void {
  const ports = program.command('ports').description('ports taken as implicit-TLS IMAP (imaps) or POP3 (pop3s) when the protocol is inferred from a port');
  for (const kind of Object.keys(KINDS) as (keyof typeof KINDS)[]) {
    const keys = ['tlsPorts', kind];
    const defaults = [...DEFAULT_TLS_PORTS[kind]];
    const group = ports.command(kind).description(`ports for ${KINDS[kind]} (default ${defaults.join(', ')})`);
    group
      .command('add <ports...>')
      .description('add ports, e.g. 1993 or 1993,2993')
      .allowUnknownOption()
      .action((values: string[], _options: unknown, command: Command) => {
        const added = addToList(cliContext(command).configPath, keys, parsePorts(values), defaults);
        console.log(added.length > 0 ? `${kind} ports: added ${added.join(', ')}.` : 'Already listed; nothing changed.');
      });
    group
      .command('remove <ports...>')
      .description('remove ports')
      .allowUnknownOption()
      .action((values: string[], _options: unknown, command: Command) => {
        const missing = removeFromList(cliContext(command).configPath, keys, parsePorts(values), defaults);
        if (missing.length > 0) throw new UserError(`${kind} ports: ${missing.join(', ')} not listed (see inboxguard ports ${kind} list)`);
        console.log(`${kind} ports: removed ${values.join(', ')}.`);
      });
    group
      .command('list')
      .description(`show the ${kind} ports`)
      .option('--json', 'machine-readable output')
      .action((options: { json?: boolean }, command: Command) => {
        const list = readConfigOrDefaults(cliContext(command).configPath).tlsPorts[kind];
        console.log(options.json ? JSON.stringify(list) : list.length > 0 ? list.join(', ') : `No ${kind} ports.`);
      });
  }
}
