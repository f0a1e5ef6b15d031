// What verdict sharing keeps in state.db, so that it survives restarts and the CLI can read it without
// the proxy:
//   share_outbox   changes waiting to be published, oldest first, at most maxQueued (the oldest go first
//                  when it is full). Every publish goes through it, from the proxy or from the CLI
//                  (`verdicts forget`), and the running proxy's publisher empties it.
//   share_forgets  tombstones: the newest forget per SHA-256 (see shared-change.ts).
//   share_state    this machine's instance id, its position in the stream, the link status it recorded.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { openStateDb } from '../state-db.js';
import { decodeChange, encodeChange, type SharedChange } from './shared-change.js';

const CREATE = `
CREATE TABLE IF NOT EXISTS share_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  change TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS share_forgets (
  sha256 TEXT NOT NULL PRIMARY KEY,
  forgotten_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS share_state (
  key TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

export interface QueuedChange {
  seq: number;
  change: SharedChange;
}

/** What the running proxy last recorded about its link, for `verdicts sync-status`. */
export interface RecordedLinkStatus {
  link: 'connecting' | 'up' | 'down' | 'closed';
  /** Since when the link is in that state (epoch ms). */
  since: number;
  /** Why it is down, when it is. */
  lastError?: string;
  /** The Redis address without credentials, and the stream. */
  redis: string;
  stream: string;
  instanceId: string;
  /** Since the proxy started: verdicts from other machines the local store took; changes this one published. */
  received: number;
  published: number;
  lastReceivedAt?: number;
  lastPublishedAt?: number;
  /** When and by which process this was written. */
  updatedAt: number;
  pid: number;
}

export class ShareTables {
  private readonly db: Database.Database;
  private readonly ownsDb: boolean;

  constructor(db: Database.Database | string) {
    this.ownsDb = typeof db === 'string';
    this.db = typeof db === 'string' ? openStateDb(db) : db;
    this.db.exec(CREATE);
  }

  /** Queues a change and drops the oldest beyond maxQueued; returns how many were dropped. */
  enqueue(change: SharedChange, maxQueued: number): number {
    return this.db.transaction(() => {
      this.db.prepare('INSERT INTO share_outbox (change) VALUES (?)').run(encodeChange(change));
      if (change.kind === 'forget') this.recordForget(change.sha256, change.forgottenAt);
      // Sequence numbers only grow and published changes leave from the front, so the newest maxQueued
      // are those above max(seq) - maxQueued: a primary-key range, not a scan of the queue.
      const dropped = this.db.prepare('DELETE FROM share_outbox WHERE seq <= (SELECT max(seq) FROM share_outbox) - ?').run(maxQueued).changes;
      if (dropped > 0) this.addToCounter('dropped', dropped);
      return dropped;
    })();
  }

  /** The oldest queued changes (a malformed row, which only a foreign writer could leave, is removed). */
  peek(limit: number): QueuedChange[] {
    const rows = this.db.prepare('SELECT seq, change FROM share_outbox ORDER BY seq LIMIT ?').all(limit) as { seq: number; change: string }[];
    const queued: QueuedChange[] = [];
    for (const row of rows) {
      const change = decodeChange(row.change);
      if (change) queued.push({ seq: row.seq, change });
      else this.db.prepare('DELETE FROM share_outbox WHERE seq = ?').run(row.seq);
    }
    return queued;
  }

  /** Removes published changes. */
  remove(seqs: number[]): void {
    const statement = this.db.prepare('DELETE FROM share_outbox WHERE seq = ?');
    this.db.transaction(() => {
      for (const seq of seqs) statement.run(seq);
    })();
  }

  queued(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM share_outbox').get() as { n: number }).n;
  }

  /** How many queued changes were dropped because the queue was full, ever. */
  dropped(): number {
    return Number(this.getState('dropped') ?? 0);
  }

  recordForget(sha256: string, forgottenAt: number): void {
    this.db
      .prepare('INSERT INTO share_forgets (sha256, forgotten_at) VALUES (?, ?) ON CONFLICT (sha256) DO UPDATE SET forgotten_at = max(forgotten_at, excluded.forgotten_at)')
      .run(sha256, forgottenAt);
  }

  /** The newest forget of the part, as a change, if there was one. */
  forgetOf(sha256: string): SharedChange | undefined {
    const row = this.db.prepare('SELECT forgotten_at FROM share_forgets WHERE sha256 = ?').get(sha256) as { forgotten_at: number } | undefined;
    return row ? { kind: 'forget', sha256, forgottenAt: row.forgotten_at } : undefined;
  }

  /** This machine's id in the stream, made once and kept, so its own entries are recognised after a restart. */
  instanceId(): string {
    const existing = this.getState('instance_id');
    if (existing) return existing;
    this.db.prepare('INSERT OR IGNORE INTO share_state (key, value) VALUES (?, ?)').run('instance_id', randomUUID());
    return this.getState('instance_id') as string;
  }

  /** The id of the last stream entry read, per stream. */
  lastSeenId(stream: string): string | undefined {
    return this.getState(`last_seen:${stream}`);
  }

  setLastSeenId(stream: string, id: string): void {
    this.setState(`last_seen:${stream}`, id);
  }

  recordStatus(status: RecordedLinkStatus): void {
    this.setState('link_status', JSON.stringify(status));
  }

  recordedStatus(): RecordedLinkStatus | undefined {
    const text = this.getState('link_status');
    return text ? (JSON.parse(text) as RecordedLinkStatus) : undefined;
  }

  close(): void {
    if (this.ownsDb) this.db.close();
  }

  private getState(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM share_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  private setState(key: string, value: string): void {
    this.db.prepare('INSERT INTO share_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  private addToCounter(key: string, amount: number): void {
    this.setState(key, String(Number(this.getState(key) ?? 0) + amount));
  }
}
