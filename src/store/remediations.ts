// Released messages and the remediations a late verdict queues for them (#14), in state.db, so that
// a verdict reached after a restart, or shared by another machine (#18), still finds every message
// that went out with the part, and a move waits for the user's next session.
import type Database from 'better-sqlite3';
import type { ReleasedMessage } from '../types/analysis-follow-up.js';
import type { ServerAction, ServerActionOutcome } from '../types/server-action.js';
import { openStateDb, stateDbPath } from './state-db.js';

const CREATE = `
CREATE TABLE IF NOT EXISTS released_parts (
  sha256 TEXT NOT NULL,
  protocol TEXT NOT NULL,
  upstream TEXT NOT NULL DEFAULT '',
  user TEXT NOT NULL DEFAULT '',
  mailbox TEXT NOT NULL DEFAULT '',
  uid_validity TEXT NOT NULL DEFAULT '',
  uid INTEGER NOT NULL DEFAULT 0,
  uidl TEXT,
  subject TEXT,
  message_id TEXT,
  listener TEXT,
  released_at INTEGER NOT NULL,
  PRIMARY KEY (sha256, protocol, upstream, user, mailbox, uid_validity, uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS remediations (
  id INTEGER PRIMARY KEY,
  upstream TEXT NOT NULL,
  user TEXT NOT NULL,
  mailbox TEXT NOT NULL,
  uid_validity TEXT NOT NULL,
  uid INTEGER NOT NULL,
  kind TEXT NOT NULL,
  folder TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  verdict TEXT NOT NULL,
  detection TEXT,
  subject TEXT,
  message_id TEXT,
  queued_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  detail TEXT,
  finished_at INTEGER,
  UNIQUE (upstream, user, mailbox, uid_validity, uid)
);
CREATE INDEX IF NOT EXISTS remediations_pending ON remediations (upstream, user) WHERE state = 'pending';
`;

interface ReleasedRow {
  protocol: 'imap' | 'pop3';
  upstream: string;
  user: string;
  mailbox: string;
  uid_validity: string;
  uid: number;
  uidl: string | null;
  subject: string | null;
  message_id: string | null;
  listener: string | null;
}

interface RemediationRow {
  id: number;
  upstream: string;
  user: string;
  mailbox: string;
  uid_validity: string;
  uid: number;
  kind: 'move' | 'flag';
  folder: string;
}

export interface QueuedRemediations {
  /** IMAP messages now waiting for a move or flag in their user's session, by account. */
  imap: { upstream: string; user: string; action: ServerAction; subject?: string; messageId?: string }[];
  /** Released messages that cannot be taken back (POP3), or IMAP ones when remediation is off. */
  untouchable: ReleasedMessage[];
}

export class RemediationStore {
  private readonly db: Database.Database;
  /** Prepared once per store and reused: a login asks for its account's pending remediations. */
  private readonly statements = new Map<string, Database.Statement>();
  /**
   * Accounts (upstream, user) with at least one pending remediation. The running proxy is the only
   * writer of this table (a second proxy on the same data dir stops at the control socket; no CLI
   * command writes it), so a login of any other account is answered without asking SQLite.
   */
  private readonly pendingAccounts = new Set<string>();
  /** How many times a login's question went to SQLite (tests count them). */
  pendingQueries = 0;

  constructor(path: string) {
    this.db = openStateDb(path);
    this.db.exec(CREATE);
    const accounts = this.db.prepare(`SELECT DISTINCT upstream, user FROM remediations WHERE state = 'pending'`).all() as { upstream: string; user: string }[];
    for (const { upstream, user } of accounts) this.pendingAccounts.add(accountKey(upstream, user));
  }

  static open(dataDir: string): RemediationStore {
    return new RemediationStore(stateDbPath(dataDir));
  }

  /** How many SQL statements this store has prepared so far (each SQL text once). */
  get statementsPrepared(): number {
    return this.statements.size;
  }

  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /** Remembers that these parts went out in this message before their analysis ended. */
  recordReleased(message: ReleasedMessage, sha256s: readonly string[], now = Date.now()): void {
    const insert = this.statement(
      `INSERT OR REPLACE INTO released_parts (sha256, protocol, upstream, user, mailbox, uid_validity, uid, uidl, subject, message_id, listener, released_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const all = this.db.transaction(() => {
      for (const sha256 of new Set(sha256s)) {
        insert.run(sha256, message.protocol, message.upstream ?? '', message.user ?? '', message.mailbox ?? '', message.uidValidity ?? '', message.uid ?? 0,
          message.uidl ?? null, message.subject ?? null, message.messageId ?? null, message.listener ?? null, now);
      }
    });
    all();
  }

  /**
   * A blocking verdict for sha256: every IMAP message released with it that can be named (account,
   * mailbox, UIDVALIDITY, UID) gets one pending remediation of `kind` (none: nothing is queued).
   */
  queueFor(sha256: string, verdict: { verdict: string; name?: string }, kind: 'move' | 'flag' | 'none', folder: string, now = Date.now()): QueuedRemediations {
    const rows = this.statement('SELECT protocol, upstream, user, mailbox, uid_validity, uid, uidl, subject, message_id, listener FROM released_parts WHERE sha256 = ?').all(sha256) as ReleasedRow[];
    const result: QueuedRemediations = { imap: [], untouchable: [] };
    const insert = this.statement(
      `INSERT INTO remediations (upstream, user, mailbox, uid_validity, uid, kind, folder, sha256, verdict, detection, subject, message_id, queued_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (upstream, user, mailbox, uid_validity, uid) DO NOTHING RETURNING id`,
    );
    const all = this.db.transaction(() => {
      for (const row of rows) {
        const nameable = row.protocol === 'imap' && row.upstream !== '' && row.user !== '' && row.mailbox !== '' && row.uid_validity !== '' && row.uid > 0;
        if (!nameable || kind === 'none') {
          result.untouchable.push(released(row));
          continue;
        }
        const inserted = insert.get(row.upstream, row.user, row.mailbox, row.uid_validity, row.uid, kind, folder, sha256, verdict.verdict, verdict.name ?? null, row.subject, row.message_id, now) as { id: number } | undefined;
        if (!inserted) continue; // already queued or done for another part of the same message
        this.pendingAccounts.add(accountKey(row.upstream, row.user));
        result.imap.push({
          upstream: row.upstream,
          user: row.user,
          action: { id: inserted.id, kind, mailbox: row.mailbox, uidValidity: row.uid_validity, uid: row.uid, folder },
          ...(row.subject !== null ? { subject: row.subject } : {}),
          ...(row.message_id !== null ? { messageId: row.message_id } : {}),
        });
      }
    });
    all();
    return result;
  }

  /** Remediations waiting for a session of this account, oldest first. */
  pending(upstream: string, user: string): ServerAction[] {
    if (!this.pendingAccounts.has(accountKey(upstream, user))) return [];
    this.pendingQueries++;
    const rows = this.statement(`SELECT id, upstream, user, mailbox, uid_validity, uid, kind, folder FROM remediations WHERE upstream = ? AND user = ? AND state = 'pending' ORDER BY id`).all(upstream, user) as RemediationRow[];
    if (rows.length === 0) this.pendingAccounts.delete(accountKey(upstream, user));
    return rows.map((row) => ({ id: row.id, kind: row.kind, mailbox: row.mailbox, uidValidity: row.uid_validity, uid: row.uid, folder: row.folder }));
  }

  /** What a remediation was about (for its event). */
  describe(id: number): { sha256: string; verdict: string; detection?: string; subject?: string; messageId?: string; upstream: string; user: string } | undefined {
    const row = this.statement('SELECT sha256, verdict, detection, subject, message_id, upstream, user FROM remediations WHERE id = ?').get(id) as
      | { sha256: string; verdict: string; detection: string | null; subject: string | null; message_id: string | null; upstream: string; user: string }
      | undefined;
    if (!row) return undefined;
    return {
      sha256: row.sha256,
      verdict: row.verdict,
      upstream: row.upstream,
      user: row.user,
      ...(row.detection !== null ? { detection: row.detection } : {}),
      ...(row.subject !== null ? { subject: row.subject } : {}),
      ...(row.message_id !== null ? { messageId: row.message_id } : {}),
    };
  }

  /** A session carried the remediation out (or found it impossible): it is not tried again. */
  /** False when it was no longer pending (another session finished it first). */
  finish(id: number, outcome: ServerActionOutcome, detail: string, now = Date.now()): boolean {
    return this.statement(`UPDATE remediations SET state = ?, detail = ?, finished_at = ? WHERE id = ? AND state = 'pending'`).run(outcome, detail, now, id).changes > 0;
  }

  list(): { id: number; state: string; mailbox: string; uid: number; kind: string; detail?: string }[] {
    const rows = this.statement('SELECT id, state, mailbox, uid, kind, detail FROM remediations ORDER BY id').all() as { id: number; state: string; mailbox: string; uid: number; kind: string; detail: string | null }[];
    return rows.map((row) => ({ id: row.id, state: row.state, mailbox: row.mailbox, uid: row.uid, kind: row.kind, ...(row.detail !== null ? { detail: row.detail } : {}) }));
  }

  close(): void {
    this.db.close();
  }
}

function accountKey(upstream: string, user: string): string {
  return `${upstream}\u0000${user}`;
}

function released(row: ReleasedRow): ReleasedMessage {
  const message: ReleasedMessage = { protocol: row.protocol };
  if (row.upstream !== '') message.upstream = row.upstream;
  if (row.user !== '') message.user = row.user;
  if (row.mailbox !== '') message.mailbox = row.mailbox;
  if (row.uid_validity !== '') message.uidValidity = row.uid_validity;
  if (row.uid > 0) message.uid = row.uid;
  if (row.uidl !== null) message.uidl = row.uidl;
  if (row.subject !== null) message.subject = row.subject;
  if (row.message_id !== null) message.messageId = row.message_id;
  if (row.listener !== null) message.listener = row.listener;
  return message;
}
