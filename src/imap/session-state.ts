import type { ScannedCopyKey } from '../protocol/session-ports.js';
import { isDigit, SP, STAR, startsWithWord } from './ascii.js';

// What the engine knows about the session: who logged in, which mailbox is selected, and which
// messages were handed to the client with a different size than the server reports.

const MAX_SIZE_CHANGES = 10_000;

/** A mailbox under one UIDVALIDITY: what a UID is a message of. */
export interface MailboxPlace {
  readonly mailbox: string | undefined;
  readonly uidValidity: string | undefined;
}

/** Key of a message (sizes), or undefined when the mailbox or UID is not known. */
export function messageKeyIn(place: MailboxPlace | undefined, uid: number | undefined): string | undefined {
  if (uid === undefined || place?.mailbox === undefined || place.uidValidity === undefined) return undefined;
  return `${place.mailbox}\u0000${place.uidValidity}\u0000${uid}`;
}

/** Key of a section of a message (scanned copies, clean records), or undefined when the mailbox or UID is not known. */
export function sectionKeyIn(place: MailboxPlace | undefined, uid: number | undefined, section: string): ScannedCopyKey | undefined {
  if (uid === undefined || place?.mailbox === undefined || place.uidValidity === undefined) return undefined;
  return { mailbox: place.mailbox, uidValidity: place.uidValidity, uid, section };
}

export class SessionState {
  user: string | undefined;
  mailbox: string | undefined;
  uidValidity: string | undefined;
  /** The mailbox was opened with EXAMINE: nothing in it can be changed. */
  readOnly = false;
  /** Created with the first change. */
  private sizeChanges: Map<string, number> | undefined;

  select(mailbox: string | undefined, uidValidity: string | undefined, readOnly = false): void {
    this.mailbox = mailbox;
    this.uidValidity = uidValidity;
    this.readOnly = readOnly;
  }

  /** Key of a message in the selected mailbox, or undefined if the mailbox is not known well enough. */
  messageKey(uid: number | undefined): string | undefined {
    return messageKeyIn(this, uid);
  }

  /** Which scanned copy a section of a message in the selected mailbox is, or undefined if the mailbox is not known well enough. */
  sectionKey(uid: number | undefined, section: string): ScannedCopyKey | undefined {
    return sectionKeyIn(this, uid, section);
  }

  /** The selected mailbox as it is now, for a response to keep (a later SELECT does not change what it is about). */
  place(): MailboxPlace | undefined {
    return this.mailbox === undefined || this.uidValidity === undefined ? undefined : { mailbox: this.mailbox, uidValidity: this.uidValidity };
  }

  get hasSizeChanges(): boolean {
    return this.sizeChanges !== undefined && this.sizeChanges.size > 0;
  }

  recordSize(messageKey: string, size: number): void {
    const sizeChanges = (this.sizeChanges ??= new Map());
    sizeChanges.delete(messageKey);
    sizeChanges.set(messageKey, size);
    if (sizeChanges.size > MAX_SIZE_CHANGES) {
      const oldest = sizeChanges.keys().next();
      if (!oldest.done) sizeChanges.delete(oldest.value);
    }
  }

  sizeFor(messageKey: string | undefined): number | undefined {
    return messageKey === undefined ? undefined : this.sizeChanges?.get(messageKey);
  }
}

/**
 * `* n EXPUNGE` or `* VANISHED …` (RFC 7162 §3.2.10): messages left the selected mailbox. The engine
 * does not track the sequence number → UID map, so a caller forgets what it kept for the whole mailbox.
 */
export function isExpungeResponse(line: Buffer): boolean {
  // Read as text only when it can be one (most data lines, EXISTS and FETCH among them, are not).
  if (line[0] !== STAR || line[1] !== SP) return false;
  let i = 2;
  while (i < line.length && isDigit(line[i])) i++;
  const candidate = i > 2 ? line[i] === SP && startsWithWord(line, i + 1, 'EXPUNGE') : startsWithWord(line, 2, 'VANISHED');
  if (!candidate) return false;
  return /^\* (?:[0-9]+ EXPUNGE|VANISHED)[ \r\n]/i.test(line.toString('latin1', 0, Math.min(line.length, 40)));
}
