import type { Command } from 'commander';
import { parseIpExclusion } from '../config/ip-exclusion-entry.js';
import { readConfigOrDefaults } from '../config/store.js';
import { UserError } from '../user-error.js';
import { addToList, removeFromList } from './config-list-edit.js';
import { cliContext } from './context.js';

const APPLICATIONS = ['exclusions', 'applications'];
const IPS = ['exclusions', 'ips'];

/** Arguments split at commas too, so both `a b` and `a,b` work; empty pieces are an error. */
function entries(values: string[], what: string): string[] {
  const out = values.flatMap((value) => value.split(',')).map((value) => value.trim());
  if (out.length === 0 || out.some((value) => value === '')) throw new UserError(`${what}: an empty entry; give at least one value`);
  return out;
}

function checkedIps(values: string[]): string[] {
  return entries(values, 'exclude ip').map((value) => {
    const parsed = parseIpExclusion(value);
    if ('problem' in parsed) throw new UserError(`exclude ip: ${parsed.problem}`);
    return value;
  });
}

export function registerExcludeCommands(program: Command): void {
  const exclude = program.command('exclude').description('connections relayed without inspection: by client application or by mail server address');

  const app = exclude.command('app').description('client applications: executable path, executable name, or IMAP ID name (e.g. Thunderbird)');
  app
    .command('add <application...>')
    .description('relay this application\'s connections without inspection')
    .action((values: string[], _options: unknown, command: Command) => {
      const path = cliContext(command).configPath;
      const added = addToList(path, APPLICATIONS, entries(values, 'exclude app'));
      console.log(added.length > 0 ? `Excluded application${added.length === 1 ? '' : 's'} ${added.join(', ')}.` : 'Already excluded; nothing changed.');
    });
  app
    .command('remove <application...>')
    .description('inspect this application\'s connections again')
    .action((values: string[], _options: unknown, command: Command) => {
      const path = cliContext(command).configPath;
      const missing = removeFromList(path, APPLICATIONS, entries(values, 'exclude app'));
      if (missing.length > 0) throw new UserError(`not excluded: ${missing.join(', ')} (see inboxguard exclude app list)`);
      console.log(`Removed ${values.join(', ')} from the excluded applications.`);
    });
  app
    .command('list')
    .description('show the excluded applications')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }, command: Command) => {
      const list = readConfigOrDefaults(cliContext(command).configPath).exclusions.applications;
      if (options.json) return console.log(JSON.stringify(list));
      console.log(list.length > 0 ? list.join('\n') : 'No excluded applications. Add one with: inboxguard exclude app add NAME');
    });

  const ip = exclude.command('ip').description('mail server addresses: IPv4/IPv6 address, CIDR block, range a-b, or host name');
  ip.command('add <entry...>')
    .description('relay connections to these server addresses without inspection')
    .action((values: string[], _options: unknown, command: Command) => {
      const path = cliContext(command).configPath;
      const added = addToList(path, IPS, checkedIps(values));
      console.log(added.length > 0 ? `Excluded ${added.join(', ')}.` : 'Already excluded; nothing changed.');
    });
  ip.command('remove <entry...>')
    .description('inspect connections to these addresses again')
    .action((values: string[], _options: unknown, command: Command) => {
      const path = cliContext(command).configPath;
      const missing = removeFromList(path, IPS, entries(values, 'exclude ip'));
      if (missing.length > 0) throw new UserError(`not excluded: ${missing.join(', ')} (see inboxguard exclude ip list)`);
      console.log(`Removed ${values.join(', ')} from the excluded addresses.`);
    });
  ip.command('list')
    .description('show the excluded server addresses')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }, command: Command) => {
      const list = readConfigOrDefaults(cliContext(command).configPath).exclusions.ips;
      if (options.json) return console.log(JSON.stringify(list));
      console.log(list.length > 0 ? list.join('\n') : 'No excluded addresses. Add one with: inboxguard exclude ip add ADDRESS');
    });
}
