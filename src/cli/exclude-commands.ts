import type { Command } from 'commander';
import { parseIpExclusion } from '../config/ip-exclusion-entry.js';
import type { Config } from '../config/schema.js';
import { readConfigOrDefaults } from '../config/store.js';
import { UserError } from '../user-error.js';
import { addToList, removeFromList, splitListArguments } from './config-list-edit.js';
import { cliContext } from './context.js';

/** One excluded list and the words its commands use. */
interface ExclusionList {
  command: 'app' | 'ip';
  setting: keyof Config['exclusions'];
  description: string;
  argument: string;
  addDescription: string;
  removeDescription: string;
  listDescription: string;
  /** Plural, for "Removed X from the excluded …". */
  noun: string;
  added(values: readonly (string | number)[]): string;
  empty: string;
  /** Validated values from the command arguments. */
  values(arguments_: string[]): string[];
}

const entries = (values: string[], what: string) => splitListArguments(values, `${what}: an empty entry; give at least one value`);

const LISTS: readonly ExclusionList[] = [
  {
    command: 'app',
    setting: 'applications',
    description: 'client applications: executable path, executable name, or IMAP ID name (e.g. Thunderbird)',
    argument: '<application...>',
    addDescription: "relay this application's connections without inspection",
    removeDescription: "inspect this application's connections again",
    listDescription: 'show the excluded applications',
    noun: 'applications',
    added: (added) => `Excluded application${added.length === 1 ? '' : 's'} ${added.join(', ')}.`,
    empty: 'No excluded applications. Add one with: inboxguard exclude app add NAME',
    values: (values) => entries(values, 'exclude app'),
  },
  {
    command: 'ip',
    setting: 'ips',
    description: 'mail server addresses: IPv4/IPv6 address, CIDR block, range a-b, or host name',
    argument: '<entry...>',
    addDescription: 'relay connections to these server addresses without inspection',
    removeDescription: 'inspect connections to these addresses again',
    listDescription: 'show the excluded server addresses',
    noun: 'addresses',
    added: (added) => `Excluded ${added.join(', ')}.`,
    empty: 'No excluded addresses. Add one with: inboxguard exclude ip add ADDRESS',
    values: (values) =>
      entries(values, 'exclude ip').map((value) => {
        const parsed = parseIpExclusion(value);
        if ('problem' in parsed) throw new UserError(`exclude ip: ${parsed.problem}`);
        return value;
      }),
  },
];

export function registerExcludeCommands(program: Command): void {
  const exclude = program.command('exclude').description('connections relayed without inspection: by client application or by mail server address');
  for (const list of LISTS) {
    const keys = ['exclusions', list.setting];
    const group = exclude.command(list.command).description(list.description);
    group
      .command(`add ${list.argument}`)
      .description(list.addDescription)
      .action((values: string[], _options: unknown, command: Command) => {
        const added = addToList(cliContext(command).configPath, keys, list.values(values));
        console.log(added.length > 0 ? list.added(added) : 'Already excluded; nothing changed.');
      });
    group
      .command(`remove ${list.argument}`)
      .description(list.removeDescription)
      .action((values: string[], _options: unknown, command: Command) => {
        // Removing needs no validation: an entry that is not listed is reported as such.
        const missing = removeFromList(cliContext(command).configPath, keys, entries(values, `exclude ${list.command}`));
        if (missing.length > 0) throw new UserError(`not excluded: ${missing.join(', ')} (see inboxguard exclude ${list.command} list)`);
        console.log(`Removed ${values.join(', ')} from the excluded ${list.noun}.`);
      });
    group
      .command('list')
      .description(list.listDescription)
      .option('--json', 'machine-readable output')
      .action((options: { json?: boolean }, command: Command) => {
        const listed = readConfigOrDefaults(cliContext(command).configPath).exclusions[list.setting];
        if (options.json) return console.log(JSON.stringify(listed));
        console.log(listed.length > 0 ? listed.join('\n') : list.empty);
      });
  }
}
