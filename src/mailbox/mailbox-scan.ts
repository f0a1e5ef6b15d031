// The mailbox scan (#16): mail already on the server, scanned over IMAP with the mailboxScan rule set
// through the same pipeline, quarantine and event log as the proxy. Log-only unless told otherwise.
import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createScanSetup, type ScanSetup } from '../scan/create-pipeline.js';
import { EventLog, eventsPath } from '../store/events.js';
import { MailboxScanProgress } from '../store/mailbox-scan-progress.js';
import { describeServer, openImapConnection, type ImapConnectionSettings } from './connection.js';
import { scanFolder } from './folder-scan.js';
import { selectFolders, type ServerFolder } from './folder-selection.js';
import type { MailboxScanOptions } from './scan-options.js';
import { exitCodeOf, type FolderSummary, type MailboxScanSummary, type ScanProgress } from './scan-report.js';
import { ensureFolder } from './server-actions.js';
import { signatureVersion } from './signature-version.js';

export interface MailboxScanRequest {
  connection: ImapConnectionSettings;
  /** The configured listener the connection settings came from (--listener), for events. */
  listener?: string;
  options: MailboxScanOptions;
  config: Config;
  dataDir: string;
  progress: ScanProgress;
  /** Aborting stops after the messages being scanned (Ctrl-C); what was scanned is recorded. */
  signal: AbortSignal;
  log?: Logger;
}

/** Names the account in state.db: the same user on the same server is the same mailbox. */
export function accountKey(user: string, connection: Pick<ImapConnectionSettings, 'host' | 'port'>): string {
  return `${user}@${describeServer(connection)}`;
}

export async function runMailboxScan(request: MailboxScanRequest): Promise<MailboxScanSummary> {
  const started = performance.now();
  const { config, dataDir, options, connection } = request;
  const signatures = await signatureVersion(config, dataDir, config.scan.engines);
  const client = await openImapConnection(connection);
  let setup: ScanSetup | undefined;
  let state: MailboxScanProgress | undefined;
  let events: EventLog | undefined;
  const folders: FolderSummary[] = [];
  try {
    const chosen = await chooseFolders(client, options);
    if (!options.dryRun && (options.action === 'move' || (options.action === 'strip' && options.stripMovesOriginal))) await ensureFolder(client, options.quarantineFolder);
    request.progress.start(chosen, await countMessages(client, chosen));
    const scanConfig: Config = { ...config, scan: { ...config.scan, maxConcurrentScans: options.concurrency } };
    setup = await createScanSetup(scanConfig, dataDir, request.log, config.scan.engines, { layer: 'mailboxScan', countRuleHits: !options.dryRun, workers: options.concurrency > 1 });
    state = MailboxScanProgress.open(dataDir);
    const account = accountKey(connection.user, connection);
    if (options.restart && !options.dryRun) state.forgetAccount(account);
    events = new EventLog(eventsPath(dataDir));
    for (const folder of chosen) {
      if (request.signal.aborted) break;
      const summary = await scanFolder(
        {
          client,
          pipeline: setup.pipeline,
          events,
          state,
          options,
          account,
          user: connection.user,
          server: describeServer(connection),
          listener: request.listener,
          signatureVersion: signatures.version,
          maxMessageBytes: config.scan.maxMessageBytes,
          progress: request.progress,
          signal: request.signal,
        },
        folder,
      );
      folders.push(summary);
      request.progress.folderEnd(summary);
    }
  } finally {
    request.progress.stop();
    state?.close();
    events?.close();
    await setup?.close();
    await client.logout().catch(() => client.close());
  }
  const interrupted = request.signal.aborted;
  return {
    account: accountKey(connection.user, connection),
    signatureVersion: signatures.version,
    signatures: signatures.description,
    action: options.action,
    dryRun: options.dryRun,
    interrupted,
    folders,
    ms: Math.round(performance.now() - started),
    exitCode: exitCodeOf(folders, interrupted),
  };
}

async function chooseFolders(client: ImapFlow, options: MailboxScanOptions): Promise<string[]> {
  const listed = await client.list();
  const folders: ServerFolder[] = listed.map((folder) => ({ path: folder.path, selectable: !folder.flags.has('\\Noselect') && !folder.flags.has('\\NonExistent') }));
  // --all-folders leaves out where the scan itself puts originals.
  const request = options.folders.all ? { all: true as const, except: [...options.folders.except, options.quarantineFolder] } : options.folders;
  return selectFolders(folders, request);
}

async function countMessages(client: ImapFlow, folders: readonly string[]): Promise<number> {
  let total = 0;
  for (const folder of folders) {
    const status = await client.status(folder, { messages: true });
    total += status ? (status.messages ?? 0) : 0;
  }
  return total;
}
