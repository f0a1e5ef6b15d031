// The settings of one mailbox scan, as the CLI hands them over after checking them.
import { parseSize } from '../rules/size.js';
import { UserError } from '../user-error.js';
import type { FolderRequest } from './folder-selection.js';

export const MAILBOX_ACTIONS = ['log', 'strip', 'move', 'delete'] as const;
export type MailboxAction = (typeof MAILBOX_ACTIONS)[number];

export interface MailboxScanOptions {
  folders: FolderRequest;
  /** SEARCH SINCE: messages whose internal date is on or after this day. */
  since?: Date;
  /** SEARCH LARGER: messages larger than this many bytes. */
  largerThan?: number;
  action: MailboxAction;
  dryRun: boolean;
  /** Messages scanned at the same time. */
  concurrency: number;
  /** Where move (and strip, when given) put originals on the server. */
  quarantineFolder: string;
  /** Whether strip moves the original to quarantineFolder rather than deleting it. */
  stripMovesOriginal: boolean;
  /** --restart: forget what was scanned before. */
  restart: boolean;
}

export function parseAction(text: string): MailboxAction {
  if (!(MAILBOX_ACTIONS as readonly string[]).includes(text)) throw new UserError(`--action "${text}": use one of ${MAILBOX_ACTIONS.join(', ')}`);
  return text as MailboxAction;
}

/** YYYY-MM-DD; the day as IMAP SEARCH SINCE understands it (date only, no time). */
export function parseSince(text: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!match || !date || date.getUTCDate() !== Number(match[3]) || date.getUTCMonth() !== Number(match[2]) - 1) {
    throw new UserError(`--since "${text}": write a date as YYYY-MM-DD, e.g. 2024-01-01`);
  }
  return date;
}

export function parseLargerThan(text: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new UserError(`--larger-than "${text}": write a size such as 100k, 2M or 5000`);
  return bytes;
}

export function parseConcurrency(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 64) throw new UserError(`--concurrency "${text}": a whole number from 1 to 64`);
  return value;
}
