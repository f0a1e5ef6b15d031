// `inboxguard verdicts`: the verdict store (#14) in <data-dir>/state.db. list and show read it directly
// (the proxy may write at the same time: WAL); forget goes through the running proxy so that it can
// act on it, and to the file itself when no proxy runs.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { callControl, ControlNotRunningError } from '../control/client.js';
import { readConfigOrDefaults } from '../config/store.js';
import { stateDbPath } from '../store/state-db.js';
import { VerdictStore, VerdictStoreError, type VerdictRecord } from '../store/verdicts.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';
import { formatTable, printable } from './text-table.js';

const DEFAULT_LIMIT = 50;

/** Returns the `verdicts` command so that other groups (e.g. sharing) can add subcommands to it. */
export function registerVerdictsCommands(program: Command): Command {
  const verdicts = program.command('verdicts').description('what stage-2 analysis and users concluded about attachments, by SHA-256');
  const dataDir = (command: Command) => cliContext(command).dataDir;

  verdicts
    .command('list')
    .description('list stored verdicts, newest first')
    .option('--json', 'machine-readable output (an array of verdict records)')
    .option('--limit <n>', `at most this many (default ${DEFAULT_LIMIT})`)
    .action((options: { json?: boolean; limit?: string }, command: Command) => {
      const limit = parseLimit(options.limit);
      const { records, total } = withStore(dataDir(command), (store) => ({ records: store.list({ limit }), total: store.count() })) ?? { records: [], total: 0 };
      if (options.json) return console.log(JSON.stringify(records, null, 2));
      if (total === 0) return console.log('No verdicts are stored.');
      for (const line of formatVerdictsTable(records)) console.log(line);
      if (records.length < total) console.log(`${records.length} of ${total} verdicts shown; --limit ${total} shows all.`);
    });

  verdicts
    .command('show <sha256>')
    .description('print the stored verdict for one decoded part')
    .option('--json', 'machine-readable output (the verdict record)')
    .action((sha: string, options: { json?: boolean }, command: Command) => {
      const sha256 = parseSha256(sha);
      const record = withStore(dataDir(command), (store) => store.get(sha256));
      if (!record) throw new UserError(`no verdict is stored for ${sha256}`);
      if (options.json) return console.log(JSON.stringify(record, null, 2));
      for (const line of describeVerdict(record)) console.log(line);
    });

  verdicts
    .command('forget <sha256>')
    .description('remove the stored verdict, so the next fetch of that part is analysed again')
    .option('--json', 'machine-readable output')
    .action(async (sha: string, options: { json?: boolean }, command: Command) => {
      const sha256 = parseSha256(sha);
      const { forgotten, via } = await forget(dataDir(command), sha256, cliContext(command).configPath);
      if (!forgotten) throw new UserError(`no verdict is stored for ${sha256} (${via === 'proxy' ? 'asked the running proxy' : 'inboxguard is not running; looked in state.db'})`);
      if (options.json) return console.log(JSON.stringify({ sha256, forgotten, via }));
      console.log(via === 'proxy' ? `Forgot the verdict for ${sha256} through the running proxy.` : `Forgot the verdict for ${sha256} in state.db (inboxguard is not running).`);
    });

  return verdicts;
}

async function forget(dataDir: string, sha256: string, configPath: string): Promise<{ forgotten: boolean; via: 'proxy' | 'state.db' }> {
  try {
    const body = await callControl(dataDir, 'DELETE', `/verdicts/${sha256}`);
    return { forgotten: body.forgotten === true, via: 'proxy' };
  } catch (error) {
    if (!(error instanceof ControlNotRunningError)) throw error;
  }
  const forgotten = withStore(dataDir, (store) => store.forget(sha256)) ?? false;
  // With verdicts shared (analysis.share), the next proxy start publishes the forget to the other machines.
  const share = readConfigOrDefaults(configPath).analysis.share;
  if (forgotten && share.redis) {
    // Loaded only here: the Redis client is not needed by any other command.
    const { forgetChange, queueSharedChange } = await import('../store/verdict-sharing/index.js');
    queueSharedChange(stateDbPath(dataDir), forgetChange(sha256), share.maxQueued);
  }
  return { forgotten, via: 'state.db' };
}

/** Runs the action on the store; undefined when there is no state.db yet (nothing stored, nothing created). */
function withStore<T>(dataDir: string, action: (store: VerdictStore) => T): T | undefined {
  if (!existsSync(stateDbPath(dataDir))) return undefined;
  let store: VerdictStore | undefined;
  try {
    store = VerdictStore.open(dataDir);
    return action(store);
  } catch (error) {
    if (error instanceof VerdictStoreError) throw new UserError(error.message);
    throw error;
  } finally {
    store?.close();
  }
}

export function parseSha256(text: string): string {
  const sha256 = text.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new UserError(`not a SHA-256: '${printable(text.slice(0, 80))}' (64 hex digits expected)`);
  return sha256;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  if (!/^\d{1,9}$/.test(text)) throw new UserError(`--limit: expected a whole number, got '${printable(text.slice(0, 40))}'`);
  return Number(text);
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export function formatVerdictsTable(records: readonly VerdictRecord[]): string[] {
  const header = ['SHA256', 'VERDICT', 'SOURCE', 'BACKEND', 'DECIDED', 'NAME'];
  const rows = records.map((record) => [record.sha256, record.verdict, record.source, record.backend, iso(record.decidedAt), record.name ?? '-'].map(printable));
  return formatTable(header, rows);
}

function describeVerdict(record: VerdictRecord): string[] {
  return [
    `sha256:  ${record.sha256}`,
    `verdict: ${record.verdict}`,
    `name:    ${printable(record.name ?? '-')}`,
    `backend: ${printable(record.backend)}`,
    `source:  ${record.source}`,
    `decided: ${iso(record.decidedAt)}`,
  ];
}
