// Puts messages straight into a Maildir the way a delivery agent does: write into tmp/, rename
// into new/. File names sort in seeding order under Dovecot's rule (seconds, then the M<usecs>
// field, then the rest of the name), so Dovecot hands out UIDs in seeding order.
import { chownSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAIL_GID, MAIL_UID } from './dovecot-config.js';

const SUBDIRS = ['tmp', 'new', 'cur'] as const;

/** Maildir++ directory of a mailbox: INBOX is the Maildir itself, 'Name' is Maildir/.Name */
export function mailboxDir(maildir: string, mailbox: string): string {
  if (mailbox.toUpperCase() === 'INBOX') return maildir;
  if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(mailbox) || /[/\\%*"&]/.test(mailbox) || mailbox.startsWith('.') || mailbox.endsWith('.') || mailbox.includes('..')) {
    throw new Error(
      `seed: mailbox name '${mailbox}' is not supported by the Maildir seeder (printable ASCII without / \\ % * " &, no leading, trailing or double '.'; '.' is the hierarchy separator)`,
    );
  }
  return join(maildir, `.${mailbox}`);
}

/** Creates tmp/new/cur of a mailbox (and the Maildir itself) owned by the mail user. */
export function ensureMailbox(maildir: string, mailbox: string): string {
  const dir = mailboxDir(maildir, mailbox);
  // Only the directories themselves are chowned (cheap even for a Maildir with many files).
  for (const path of new Set([maildir, dir, ...SUBDIRS.map((sub) => join(dir, sub))])) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chownSync(path, MAIL_UID, MAIL_GID);
  }
  return dir;
}

// A process-wide clock in microseconds that never repeats, like Dovecot's own name generator.
let lastMicros = 0;
let sequence = 0;
function nextFileName(): string {
  const now = Date.now() * 1000;
  lastMicros = now > lastMicros ? now : lastMicros + 1;
  sequence += 1;
  const secs = Math.floor(lastMicros / 1_000_000);
  const usecs = lastMicros % 1_000_000;
  return `${secs}.M${usecs}P${process.pid}Q${sequence}.inboxguard`;
}

/** Delivers messages in order into mailbox of the Maildir; returns the new/ file paths. */
export function deliver(maildir: string, messages: readonly Buffer[], mailbox = 'INBOX'): string[] {
  const dir = ensureMailbox(maildir, mailbox);
  const delivered: string[] = [];
  for (const message of messages) {
    const name = nextFileName();
    const tmpPath = join(dir, 'tmp', name);
    const newPath = join(dir, 'new', name);
    writeFileSync(tmpPath, message, { mode: 0o600 });
    chownSync(tmpPath, MAIL_UID, MAIL_GID);
    renameSync(tmpPath, newPath);
    delivered.push(newPath);
  }
  return delivered;
}
