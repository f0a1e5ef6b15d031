// The table a mailbox scan ends with: one row per folder and a total.
import type { FolderSummary, MailboxScanSummary } from '../mailbox/scan-report.js';

const COLUMNS = ['Folder', 'Messages', 'Matched', 'Scanned', 'Skipped', 'Too large', 'Errors', 'Threats', 'Verdicts', 'Actions', 'Time'] as const;

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([key, value]) => `${key} ${value}`).join(', ');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function row(folder: FolderSummary): string[] {
  return [folder.folder, folder.messages, folder.matched, folder.scanned, folder.skipped, folder.tooLarge, folder.errors, folder.threats, counts(folder.verdicts), counts(folder.actions), seconds(folder.ms)].map(String);
}

function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
}

export function totalOf(folders: readonly FolderSummary[], ms: number): FolderSummary {
  const total: FolderSummary = { folder: 'total', messages: 0, matched: 0, scanned: 0, skipped: 0, tooLarge: 0, errors: 0, verdicts: {}, actions: {}, threats: 0, bytes: 0, ms };
  for (const folder of folders) {
    for (const key of ['messages', 'matched', 'scanned', 'skipped', 'tooLarge', 'errors', 'threats', 'bytes'] as const) total[key] += folder[key];
    merge(total.verdicts, folder.verdicts);
    merge(total.actions, folder.actions);
  }
  return total;
}

export function summaryTable(summary: MailboxScanSummary): string {
  const rows = [[...COLUMNS], ...summary.folders.map(row), row(totalOf(summary.folders, summary.ms))];
  const widths = COLUMNS.map((_, index) => Math.max(...rows.map((cells) => cells[index].length)));
  const format = (cells: string[]) => cells.map((cell, index) => (index === 0 || index >= 8 ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join('  ').trimEnd();
  const lines = rows.map(format);
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  const mode = summary.dryRun ? `dry run, action ${summary.action} not applied` : `action ${summary.action}`;
  lines.push('', `${summary.account}: ${mode}; signatures ${summary.signatureVersion} (${summary.signatures})`);
  for (const folder of summary.folders) if (folder.error) lines.push(`${folder.folder}: ${folder.error}`);
  return lines.join('\n');
}
