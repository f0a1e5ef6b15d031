// What the mailbox scan (#16) has scanned: one row per account, folder, UIDVALIDITY and UID, with the
// signature version it was scanned with, in the state database (<data-dir>/state.db). A message is
// skipped when its row carries the current signature version; an interrupted scan resumes from these
// rows; a folder whose UIDVALIDITY changed starts over (its old rows are dropped).
import type Database from 'better-sqlite3';
import { openStateDb, stateDbPath } from './state-db.js';

export interface ScannedMessage {
  account: string;
  folder: string;
  uidValidity: string;
  uid: number;
  signatureVersion: string;
  verdict: string;
  /** What was done on the server: none, strip, move, delete (dry runs record nothing). */
  action: string;
}

const CREATE = `
CREATE TABLE IF NOT EXISTS mailbox_scan_progress (
  account TEXT NOT NULL,
  folder TEXT NOT NULL,
  uid_validity TEXT NOT NULL,
  uid INTEGER NOT NULL,
  signature_version TEXT NOT NULL,
  verdict TEXT NOT NULL,
  action TEXT NOT NULL,
  scanned_at INTEGER NOT NULL,
  PRIMARY KEY (account, folder, uid_validity, uid)
) WITHOUT ROWID;
`;

export class MailboxScanProgress {
  private readonly db: Database.Database;
  private readonly recordStatement: Database.Statement<[string, string, string, number, string, string, string, number]>;

  constructor(path: string) {
    this.db = openStateDb(path);
    this.db.exec(CREATE);
    this.recordStatement = this.db.prepare(
      `INSERT INTO mailbox_scan_progress (account, folder, uid_validity, uid, signature_version, verdict, action, scanned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, folder, uid_validity, uid) DO UPDATE SET
         signature_version = excluded.signature_version, verdict = excluded.verdict, action = excluded.action, scanned_at = excluded.scanned_at`,
    );
  }

  static open(dataDir: string): MailboxScanProgress {
    return new MailboxScanProgress(stateDbPath(dataDir));
  }

  /** UIDs of the folder already scanned with this signature version. */
  scannedUids(account: string, folder: string, uidValidity: string, signatureVersion: string): Set<number> {
    const rows = this.db
      .prepare('SELECT uid FROM mailbox_scan_progress WHERE account = ? AND folder = ? AND uid_validity = ? AND signature_version = ?')
      .all(account, folder, uidValidity, signatureVersion) as { uid: number }[];
    return new Set(rows.map((row) => row.uid));
  }

  /** Drops the folder's rows of every other UIDVALIDITY (those UIDs name other messages now); returns how many. */
  forgetOtherUidValidities(account: string, folder: string, uidValidity: string): number {
    return this.db.prepare('DELETE FROM mailbox_scan_progress WHERE account = ? AND folder = ? AND uid_validity <> ?').run(account, folder, uidValidity).changes;
  }

  /** --restart: forgets everything scanned for the account; returns how many rows. */
  forgetAccount(account: string): number {
    return this.db.prepare('DELETE FROM mailbox_scan_progress WHERE account = ?').run(account).changes;
  }

  record(message: ScannedMessage, at = Date.now()): void {
    const { account, folder, uidValidity, uid, signatureVersion, verdict, action } = message;
    this.recordStatement.run(account, folder, uidValidity, uid, signatureVersion, verdict, action, at);
  }

  count(account: string, folder?: string): number {
    const row = (folder === undefined
      ? this.db.prepare('SELECT count(*) AS n FROM mailbox_scan_progress WHERE account = ?').get(account)
      : this.db.prepare('SELECT count(*) AS n FROM mailbox_scan_progress WHERE account = ? AND folder = ?').get(account, folder)) as { n: number };
    return row.n;
  }

  close(): void {
    this.db.close();
  }
}
