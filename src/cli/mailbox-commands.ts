import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { parseHostPort } from '../config/address.js';
import type { Config } from '../config/schema.js';
import { readConfigOrDefaults } from '../config/store.js';
import type { ImapConnectionSettings } from '../mailbox/connection.js';
import { parseFolderList, type FolderRequest } from '../mailbox/folder-selection.js';
import { MAILBOX_ACTIONS, parseAction, parseConcurrency, parseLargerThan, parseSince, type MailboxScanOptions } from '../mailbox/scan-options.js';
import { TLS_MODES, type TlsMode } from '../types/tls-mode.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';
import { summaryTable, totalOf } from './mailbox-summary.js';
import { readSecretFromTerminal } from './read-secret.js';

interface ScanFlags {
  upstream?: string;
  upstreamTls?: TlsMode;
  upstreamCa?: string;
  listener?: string;
  user: string;
  passwordFile?: string;
  oauth2TokenFile?: string;
  folders?: string;
  allFolders?: boolean;
  since?: string;
  largerThan?: string;
  action: string;
  dryRun?: boolean;
  concurrency?: string;
  quarantineFolder: string;
  json?: boolean;
  resume?: boolean;
  restart?: boolean;
}

export function registerMailboxCommands(program: Command): void {
  const mailbox = program.command('mailbox').description('scan mail already on an IMAP server');
  mailbox
    .command('scan')
    .description('scan the messages in IMAP folders with the mailboxScan rules; log-only unless --action says otherwise; exit 0 clean, 1 threats found, 2 error, 130 interrupted')
    .option('--upstream <host:port>', 'the IMAP server, e.g. imap.example.com:993')
    .addOption(new Option('--upstream-tls <mode>', 'implicit (default), starttls, or none (loopback only)').choices([...TLS_MODES]))
    .option('--upstream-ca <file>', 'extra CA certificate (PEM) trusted for the server besides the system store')
    .option('--listener <name>', 'take server, TLS and CA settings from this configured listener')
    .requiredOption('--user <name>', 'the account to log in as')
    .option('--password-file <file>', 'read the password from this file (else $INBOXGUARD_PASSWORD, else a prompt)')
    .option('--oauth2-token-file <file>', 'log in with XOAUTH2/OAUTHBEARER using the access token in this file')
    .option('--folders <list>', "comma-separated folders or patterns, e.g. 'INBOX,Archive/*' (default INBOX)")
    .option('--all-folders', 'every selectable folder except the quarantine folder')
    .option('--since <date>', 'only messages received on or after this day (YYYY-MM-DD)')
    .option('--larger-than <size>', 'only messages larger than this, e.g. 100k')
    .addOption(new Option('--action <action>', 'what to do with a message the rules want changed').choices([...MAILBOX_ACTIONS]).default('log'))
    .option('--dry-run', 'scan and report, change nothing on the server and record nothing locally')
    .option('--concurrency <n>', 'messages scanned at the same time; above 1 they are scanned in that many worker threads', '1')
    .option('--quarantine-folder <name>', 'server folder for --action move (and strip, when given: the original is moved there instead of deleted)', 'Quarantine')
    .option('--json', 'print the summary as JSON')
    .option('--resume', 'skip messages already scanned with the current signatures (the default)')
    .option('--restart', 'forget what was scanned before and scan everything again')
    .action(async (flags: ScanFlags, command: Command) => {
      const context = cliContext(command);
      const config = readConfigOrDefaults(context.configPath);
      const options = scanOptions(flags, command);
      const { settings, listener } = connectionSettings(flags, config);
      const connection: ImapConnectionSettings = { ...settings, user: flags.user, secret: await readSecret(flags) };
      const { runMailboxScan } = await import('../mailbox/mailbox-scan.js');
      const { createProgressDisplay } = await import('./mailbox-progress.js');
      const stop = new AbortController();
      const onInterrupt = () => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
      };
      process.on('SIGINT', onInterrupt);
      process.on('SIGTERM', onInterrupt);
      try {
        const summary = await runMailboxScan({ connection, listener, options, config, dataDir: context.dataDir, progress: createProgressDisplay(), signal: stop.signal });
        if (flags.json) console.log(JSON.stringify({ ...summary, total: totalOf(summary.folders, summary.ms) }));
        else console.log(summaryTable(summary));
        if (summary.interrupted) process.stderr.write(`interrupted; what was scanned is recorded. To continue where it stopped, run: ${resumeCommand()}\n`);
        process.exitCode = summary.exitCode;
      } finally {
        process.off('SIGINT', onInterrupt);
        process.off('SIGTERM', onInterrupt);
      }
    });
}

function scanOptions(flags: ScanFlags, command: Command): MailboxScanOptions {
  if (flags.folders && flags.allFolders) throw new UserError('give --folders or --all-folders, not both');
  if (flags.resume && flags.restart) throw new UserError('give --resume or --restart, not both');
  const folders: FolderRequest = flags.allFolders ? { all: true, except: [] } : { all: false, patterns: flags.folders ? parseFolderList(flags.folders) : ['INBOX'] };
  return {
    folders,
    since: flags.since ? parseSince(flags.since) : undefined,
    largerThan: flags.largerThan ? parseLargerThan(flags.largerThan) : undefined,
    action: parseAction(flags.action),
    dryRun: flags.dryRun === true,
    concurrency: parseConcurrency(flags.concurrency ?? '1'),
    quarantineFolder: flags.quarantineFolder,
    stripMovesOriginal: command.getOptionValueSource('quarantineFolder') === 'cli',
    restart: flags.restart === true,
  };
}

function connectionSettings(flags: ScanFlags, config: Config): { settings: Omit<ImapConnectionSettings, 'user' | 'secret'>; listener?: string } {
  let upstream = flags.upstream;
  let tls: TlsMode = flags.upstreamTls ?? 'implicit';
  let caFile = flags.upstreamCa;
  let listener: string | undefined;
  if (flags.listener) {
    const configured = config.listeners.find((candidate) => candidate.name === flags.listener);
    if (!configured) throw new UserError(`no listener named "${flags.listener}" (see: inboxguard listeners list)`);
    if (configured.protocol === 'pop3') throw new UserError(`listener "${configured.name}" is a POP3 listener; the mailbox scan needs IMAP`);
    listener = configured.name;
    upstream ??= configured.upstream;
    tls = flags.upstreamTls ?? configured.upstreamTls;
    caFile ??= configured.upstreamCa;
  }
  if (!upstream) throw new UserError('name the server with --upstream HOST:PORT or --listener NAME');
  let address;
  try {
    address = parseHostPort(upstream);
  } catch (error) {
    throw new UserError(`--upstream: ${(error as Error).message}`);
  }
  return { settings: { ...address, tls, ...(caFile ? { extraCa: readFileOrRefuse(caFile, '--upstream-ca') } : {}) }, listener };
}

async function readSecret(flags: ScanFlags): Promise<ImapConnectionSettings['secret']> {
  if (flags.oauth2TokenFile) {
    if (flags.passwordFile) throw new UserError('give --password-file or --oauth2-token-file, not both');
    const accessToken = firstLine(readFileOrRefuse(flags.oauth2TokenFile, '--oauth2-token-file'));
    if (!accessToken) throw new UserError(`--oauth2-token-file ${flags.oauth2TokenFile} is empty`);
    return { accessToken };
  }
  if (flags.passwordFile) return { password: firstLine(readFileOrRefuse(flags.passwordFile, '--password-file')) };
  const fromEnvironment = process.env.INBOXGUARD_PASSWORD;
  if (fromEnvironment !== undefined && fromEnvironment !== '') return { password: fromEnvironment };
  if (!process.stdin.isTTY) throw new UserError('no password: give --password-file FILE, set INBOXGUARD_PASSWORD, or run on a terminal to be asked');
  return { password: await readSecretFromTerminal(`password for ${flags.user}: `) };
}

function readFileOrRefuse(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UserError(`${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** The file's first line, without its line break (editors add one). */
function firstLine(content: Buffer): string {
  return content.toString('utf8').split(/\r?\n/)[0];
}

/** The command line as given, with --restart left out: rerun, it skips what was already scanned. */
function resumeCommand(): string {
  const args = process.argv.slice(2).filter((arg) => arg !== '--restart' && arg !== '--resume');
  const quoted = args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`));
  return ['inboxguard', ...quoted, '--resume'].join(' ');
}
