// What a mailbox scan tells its caller while it runs (progress) and when it ends (summary).

export interface FolderSummary {
  folder: string;
  uidValidity?: string;
  /** Messages in the folder. */
  messages: number;
  /** Messages the filters (--since, --larger-than) selected. */
  matched: number;
  scanned: number;
  /** Already scanned with the current signatures. */
  skipped: number;
  /** Larger than scan.maxMessageBytes: not fetched, not scanned (an event says so). */
  tooLarge: number;
  /** Scans that failed or timed out, and server actions that failed. */
  errors: number;
  /** Scanned messages by verdict. */
  verdicts: Record<string, number>;
  /** What was done on the server (or, in a dry run, would have been): strip, move, delete. */
  actions: Record<string, number>;
  /** Messages the mailboxScan rules wanted changed or the engines found a threat in. */
  threats: number;
  bytes: number;
  ms: number;
  /** Why the folder could not be scanned to the end. */
  error?: string;
}

export interface MailboxScanSummary {
  account: string;
  signatureVersion: string;
  signatures: string;
  action: string;
  dryRun: boolean;
  interrupted: boolean;
  folders: FolderSummary[];
  ms: number;
  /** 0 nothing found, 1 threats found, 2 an error, 130 interrupted. */
  exitCode: number;
}

/** Hooks a progress display implements; every call is cheap and synchronous. */
export interface ScanProgress {
  /** Once, before the first folder: the folders and how many messages they hold (STATUS). */
  start(folders: readonly string[], messages: number): void;
  /** The folder's messages to fetch (after filters and skips) and their bytes; `notScanned` left the overall count. */
  folderStart(folder: string, toScan: number, bytes: number, notScanned: number): void;
  /** One message done (scanned, failed or too large). */
  message(folder: string, bytes: number, threat: boolean): void;
  folderEnd(summary: FolderSummary): void;
  /** Last call; the display gives the terminal back. */
  stop(): void;
}

export function emptyFolderSummary(folder: string): FolderSummary {
  return { folder, messages: 0, matched: 0, scanned: 0, skipped: 0, tooLarge: 0, errors: 0, verdicts: {}, actions: {}, threats: 0, bytes: 0, ms: 0 };
}

export function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** As scan: infected, suspicious or over an archive limit. */
export const THREAT_VERDICTS: ReadonlySet<string> = new Set(['infected', 'suspicious', 'archive-limit']);

export function exitCodeOf(folders: readonly FolderSummary[], interrupted: boolean): number {
  if (interrupted) return 130;
  if (folders.some((folder) => folder.threats > 0)) return 1;
  if (folders.some((folder) => folder.errors > 0 || folder.error !== undefined)) return 2;
  return 0;
}
