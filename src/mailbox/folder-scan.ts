// One folder of a mailbox scan: select it (EXAMINE unless the server may change), find the messages
// the filters select, leave out those already scanned with the current signatures and those over
// scan.maxMessageBytes, fetch the rest with BODY.PEEK[] in batches bounded in bytes, scan each through
// the pipeline (mailboxScan rules), act on what the rules want changed, and record every message.
import type { FetchMessageObject, ImapFlow } from 'imapflow';
import type { ScanPipeline, ScanReport } from '../scan/pipeline.js';
import { Semaphore } from '../scan/semaphore.js';
import type { EventLog } from '../store/events.js';
import type { MailboxScanProgress } from '../store/mailbox-scan-progress.js';
import type { BodyContext } from '../types/body-context.js';
import type { MailboxScanOptions } from './scan-options.js';
import { emptyFolderSummary, increment, THREAT_VERDICTS, type FolderSummary, type ScanProgress } from './scan-report.js';
import { appendCleaned, deleteOne, moveToFolder, type OriginalMessage } from './server-actions.js';

/** A batch of bodies is fetched with one UID FETCH; at most this many bytes of it are announced at once. */
export const BATCH_BYTES = 8 * 1024 * 1024;
const BATCH_MESSAGES = 200;
/** UIDs per metadata FETCH (RFC822.SIZE only). */
const SIZE_CHUNK = 1000;

export interface FolderScanContext {
  client: ImapFlow;
  pipeline: ScanPipeline;
  events: EventLog;
  state: MailboxScanProgress;
  options: MailboxScanOptions;
  account: string;
  user: string;
  server: string;
  listener?: string;
  signatureVersion: string;
  maxMessageBytes: number;
  progress: ScanProgress;
  signal: AbortSignal;
}

interface PendingAction {
  original: OriginalMessage;
  verdict: string;
  /** The cleaned copy, for strip. */
  cleaned?: Buffer;
}

export async function scanFolder(context: FolderScanContext, folder: string): Promise<FolderSummary> {
  const started = performance.now();
  const summary = emptyFolderSummary(folder);
  const { client, options, state } = context;
  const changesServer = options.action !== 'log' && !options.dryRun;
  const lock = await client.getMailboxLock(folder, { readOnly: !changesServer });
  try {
    const mailbox = client.mailbox;
    if (!mailbox) throw new Error(`${folder} could not be selected`);
    const uidValidity = String(mailbox.uidValidity);
    summary.uidValidity = uidValidity;
    summary.messages = mailbox.exists;
    if (!options.dryRun) state.forgetOtherUidValidities(context.account, folder, uidValidity);
    const matched = mailbox.exists === 0 ? [] : await searchUids(client, options);
    summary.matched = matched.length;
    const done = state.scannedUids(context.account, folder, uidValidity, context.signatureVersion);
    const due = matched.filter((uid) => !done.has(uid));
    summary.skipped = matched.length - due.length;
    const sizes = await fetchSizes(client, due);
    const fetchable = due.filter((uid) => (sizes.get(uid) ?? 0) <= context.maxMessageBytes);
    const fetchBytes = fetchable.reduce((sum, uid) => sum + (sizes.get(uid) ?? 0), 0);
    context.progress.folderStart(folder, due.length, fetchBytes, summary.messages - due.length);
    for (const uid of due) {
      const size = sizes.get(uid);
      if (size !== undefined && size <= context.maxMessageBytes) continue;
      summary.tooLarge++;
      context.events.append({ ...origin(context, folder, uidValidity, uid), verdict: 'too-large', detections: [], actions: [], bytes: size ?? 0, scanMs: 0, note: `larger than scan.maxMessageBytes (${context.maxMessageBytes}); not scanned` });
      context.progress.message(folder, 0, false);
    }
    for (const batch of batches(fetchable, sizes)) {
      if (context.signal.aborted) break;
      const actions = await scanBatch(context, folder, uidValidity, batch, summary);
      for (const action of actions) await act(context, action, uidValidity, summary);
    }
  } catch (error) {
    summary.error = (error as Error).message;
  } finally {
    lock.release();
    summary.ms = Math.round(performance.now() - started);
  }
  return summary;
}

async function searchUids(client: ImapFlow, options: MailboxScanOptions): Promise<number[]> {
  const query = { ...(options.since ? { since: options.since } : {}), ...(options.largerThan !== undefined ? { larger: options.largerThan } : {}) };
  const found = await client.search(Object.keys(query).length > 0 ? query : { all: true }, { uid: true });
  if (!Array.isArray(found)) throw new Error('SEARCH failed');
  return [...found].sort((a, b) => a - b);
}

async function fetchSizes(client: ImapFlow, uids: readonly number[]): Promise<Map<number, number>> {
  const sizes = new Map<number, number>();
  for (let start = 0; start < uids.length; start += SIZE_CHUNK) {
    const chunk = uids.slice(start, start + SIZE_CHUNK);
    for await (const message of client.fetch(chunk.join(','), { uid: true, size: true }, { uid: true })) {
      if (message.size !== undefined) sizes.set(message.uid, message.size);
    }
  }
  return sizes;
}

/** Consecutive runs of UIDs holding at most BATCH_BYTES (a larger message alone) and BATCH_MESSAGES. */
export function* batches(uids: readonly number[], sizes: ReadonlyMap<number, number>, maxBytes = BATCH_BYTES, maxMessages = BATCH_MESSAGES): Generator<number[]> {
  let batch: number[] = [];
  let bytes = 0;
  for (const uid of uids) {
    const size = sizes.get(uid) ?? 0;
    if (batch.length > 0 && (bytes + size > maxBytes || batch.length >= maxMessages)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(uid);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/**
 * Fetches and scans one batch, up to --concurrency messages at a time. No IMAP command may run while
 * a FETCH streams (imapflow), so what the server should change is handed back and done afterwards.
 */
async function scanBatch(context: FolderScanContext, folder: string, uidValidity: string, batch: number[], summary: FolderSummary): Promise<PendingAction[]> {
  const slots = new Semaphore(context.options.concurrency);
  const running = new Set<Promise<void>>();
  const pending: PendingAction[] = [];
  // A task that fails (e.g. state.db cannot be written) ends the folder once the others settle.
  let failure: Error | undefined;
  const query = { uid: true, source: true, flags: true, internalDate: true } as const;
  for await (const message of context.client.fetch(batch.join(','), query, { uid: true })) {
    if (context.signal.aborted || failure) break;
    const release = await slots.acquire();
    const task = scanMessage(context, folder, uidValidity, message, summary)
      .then(
        (action) => {
          if (action) pending.push(action);
        },
        (error: Error) => {
          failure ??= error;
        },
      )
      .finally(() => {
        release();
        running.delete(task);
      });
    running.add(task);
  }
  await Promise.all(running);
  if (failure) throw failure;
  return pending.sort((a, b) => a.original.uid - b.original.uid);
}

async function scanMessage(context: FolderScanContext, folder: string, uidValidity: string, message: FetchMessageObject, summary: FolderSummary): Promise<PendingAction | undefined> {
  const source = message.source;
  if (!source) {
    summary.errors++;
    context.progress.message(folder, 0, false);
    return undefined;
  }
  const body: BodyContext = { protocol: 'imap', section: 'BODY[]', ...origin(context, folder, uidValidity, message.uid), layer: 'mailbox-scan' };
  let report: ScanReport;
  try {
    report = context.options.dryRun ? await context.pipeline.evaluate(source, body, false) : await context.pipeline.report(source, body);
  } catch {
    // The pipeline logged the failure as an event; the message stays due for the next run.
    summary.errors++;
    context.progress.message(folder, source.length, false);
    return undefined;
  }
  const verdict = report.decision.scanSkippedBy ? 'not-scanned' : report.inspection.verdict;
  const wantsChange = report.decision.action !== 'deliver';
  const threat = wantsChange || THREAT_VERDICTS.has(verdict);
  summary.scanned++;
  summary.bytes += source.length;
  increment(summary.verdicts, verdict);
  if (threat) summary.threats++;
  context.progress.message(folder, source.length, threat);
  const action = wantsChange ? context.options.action : 'log';
  if (action === 'log' || context.options.dryRun) {
    if (action !== 'log') increment(summary.actions, action);
    if (!context.options.dryRun) record(context, folder, uidValidity, message.uid, verdict, 'none');
    return undefined;
  }
  if (!report.quarantined) {
    // Never change the server without the original kept locally.
    summary.errors++;
    record(context, folder, uidValidity, message.uid, verdict, 'none');
    return undefined;
  }
  const flags = [...(message.flags ?? [])];
  const internalDate = message.internalDate === undefined ? undefined : new Date(message.internalDate);
  return { original: { folder, uid: message.uid, flags, internalDate }, verdict, cleaned: action === 'strip' ? report.rewritten?.bytes : undefined };
}

async function act(context: FolderScanContext, pending: PendingAction, uidValidity: string, summary: FolderSummary): Promise<void> {
  const { client, options } = context;
  const { original } = pending;
  try {
    if (options.action === 'strip') {
      if (!pending.cleaned) throw new Error(`no cleaned copy of UID ${original.uid}`);
      const copyUid = await appendCleaned(client, original, pending.cleaned);
      if (options.stripMovesOriginal) await moveToFolder(client, original, options.quarantineFolder);
      else await deleteOne(client, original);
      // The cleaned copy is inboxguard's own output: not scanned again.
      if (copyUid !== undefined) record(context, original.folder, uidValidity, copyUid, 'cleaned-copy', 'none');
    } else if (options.action === 'move') {
      await moveToFolder(client, original, options.quarantineFolder);
    } else if (options.action === 'delete') {
      await deleteOne(client, original);
    }
    increment(summary.actions, options.action);
    record(context, original.folder, uidValidity, original.uid, pending.verdict, options.action);
    const where = options.action === 'delete' ? 'deleted' : options.action === 'move' || options.stripMovesOriginal ? `original moved to ${options.quarantineFolder}` : 'original deleted';
    context.events.append({ ...origin(context, original.folder, uidValidity, original.uid), verdict: pending.verdict, detections: [], actions: [`server-${options.action}`], bytes: 0, scanMs: 0, note: `on the server: ${options.action === 'strip' ? `cleaned copy appended, ${where}` : where}` });
  } catch (error) {
    summary.errors++;
    context.events.append({ ...origin(context, original.folder, uidValidity, original.uid), verdict: pending.verdict, detections: [], actions: [], bytes: 0, scanMs: 0, note: `${options.action} on the server failed: ${(error as Error).message}` });
  }
}

function record(context: FolderScanContext, folder: string, uidValidity: string, uid: number, verdict: string, action: string): void {
  context.state.record({ account: context.account, folder, uidValidity, uid, signatureVersion: context.signatureVersion, verdict, action });
}

function origin(context: FolderScanContext, folder: string, uidValidity: string, uid: number) {
  return { user: context.user, upstream: context.server, mailbox: folder, uidValidity, uid, layer: 'mailbox-scan' as const, ...(context.listener ? { listener: context.listener } : {}) };
}
