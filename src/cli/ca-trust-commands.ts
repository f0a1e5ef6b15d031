import { Option, type Command } from 'commander';
import type { ActionLine, StatusLine, TargetKind, TrustScope } from '../ca/trust/index.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';

const KINDS: readonly TargetKind[] = ['system', 'thunderbird', 'firefox', 'nssdb'];

const STATE_WORDS: Record<ActionLine['state'] | StatusLine['state'], string> = {
  installed: 'installed',
  replaced: 'installed, replacing an older inboxguard root',
  'already-there': 'already there',
  removed: 'removed',
  'not-there': 'not there',
  'not-found': 'not found',
  failed: 'failed',
  trusted: 'trusted',
  absent: 'not trusted',
  error: 'error',
};

/** `ca install | uninstall | status`: the root CA in the system store, Thunderbird's and Firefox's NSS databases, ~/.pki/nssdb. */
export function registerCaTrustCommands(ca: Command): void {
  withScope(ca.command('install'))
    .description('trust the root CA in the system store and every Thunderbird/Firefox profile (replaces an older inboxguard root)')
    .action(async (options: ScopeFlags, command: Command) => {
      const { dataDir } = cliContext(command);
      const { installRoot } = await import('../ca/trust/index.js');
      printActions(await installRoot(await currentRoot(dataDir), { ...scopeOf(options), asRootHint: rootHint(dataDir, options) }));
    });

  withScope(ca.command('uninstall'))
    .description('remove the root CA from where `ca install` put it, and nothing else')
    .action(async (options: ScopeFlags, command: Command) => {
      const { dataDir } = cliContext(command);
      const { uninstallRoot } = await import('../ca/trust/index.js');
      printActions(await uninstallRoot(await currentRoot(dataDir), { ...scopeOf(options), asRootHint: rootHint(dataDir, options) }));
    });

  withScope(ca.command('status'))
    .description('show where the current root CA is trusted')
    .option('--json', 'machine-readable output')
    .action(async (options: ScopeFlags & { json?: boolean }, command: Command) => {
      const { dataDir } = cliContext(command);
      const { trustStatus } = await import('../ca/trust/index.js');
      const lines = await trustStatus({ ...scopeOf(options), ca: await currentRoot(dataDir) });
      if (options.json) return console.log(JSON.stringify(lines, null, 2));
      for (const line of lines) console.log(formatLine(line));
    });
}

export interface ScopeFlags {
  only?: string;
  home?: string;
  root?: string;
}

/** --only, plus the hidden --home and --root. */
function withScope(command: Command): Command {
  return withHiddenScope(command.option('--only <targets>', `comma-separated: ${KINDS.join(',')}`));
}

/** The hidden --home and --root that tests point at temporary trees. */
export function withHiddenScope(command: Command): Command {
  return command
    .addOption(new Option('--home <dir>', 'home directory searched for profiles (tests)').hideHelp())
    .addOption(new Option('--root <dir>', 'filesystem prefix of the system store (tests)').hideHelp());
}

export function scopeOf(flags: ScopeFlags): TrustScope {
  return { only: parseOnly(flags.only), home: flags.home, root: flags.root };
}

/** A one-line summary per store: "thunderbird: already there — /home/u/.thunderbird/x.default". */
export function formatLine(line: ActionLine | StatusLine): string {
  const detail = line.detail ? ` (${line.detail})` : '';
  return `${line.target}: ${STATE_WORDS[line.state]} — ${line.where}${detail}`;
}

function printActions(lines: ActionLine[]): void {
  for (const line of lines) console.log(formatLine(line));
  if (lines.some((line) => line.state === 'failed')) process.exitCode = 1;
}

function parseOnly(value: string | undefined): TargetKind[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !KINDS.includes(name as TargetKind));
  if (names.length === 0 || unknown.length > 0) throw new UserError(`--only takes ${KINDS.join(',')}; got "${value}"`);
  return names as TargetKind[];
}

/** As root, the home directory changes, so the hint names the data dir explicitly. */
function rootHint(dataDir: string, flags: ScopeFlags) {
  const root = flags.root ? ` --root ${shellWord(flags.root)}` : '';
  return (verb: 'install' | 'uninstall') => `sudo inboxguard --data-dir ${shellWord(dataDir)} ca ${verb} --only system${root}`;
}

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

async function currentRoot(dataDir: string) {
  const { loadCa } = await import('../ca/index.js');
  const { rootIdentity } = await import('../ca/trust/index.js');
  const ca = loadCa(dataDir);
  if (!ca) throw new UserError(`no root CA in ${dataDir}; create one with: inboxguard ca init`);
  return rootIdentity(ca);
}
