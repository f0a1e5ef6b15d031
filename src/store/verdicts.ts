// The verdict store (#14): what is known about a decoded part, keyed by its SHA-256, in the state
// database (<data-dir>/state.db). Looked up before stage 1 and stage 2; written when an analysis
// backend answers or a user decides. The proxy and the CLI may use it at the same time (WAL).
//
// Conflict rule of put(): a manual decision beats an engine's, whatever their times; between two
// records of the same source the newer (decidedAt, ties go to the incoming one) wins.
import type Database from 'better-sqlite3';
import { ANALYSIS_VERDICTS, type AnalysisVerdict } from '../types/analysis-verdict.js';
import { openStateDb, stateDbPath } from './state-db.js';

export const VERDICT_SOURCES = ['engine', 'manual'] as const;

export type VerdictSource = (typeof VERDICT_SOURCES)[number];

export interface VerdictRecord {
  /** SHA-256 of the decoded part, 64 lowercase hex digits. */
  sha256: string;
  verdict: AnalysisVerdict;
  /** Who concluded: an analysis backend's name, or e.g. "cli" for a manual decision. */
  backend: string;
  /** Detection name, when the backend gave one. */
  name?: string;
  /**
   * Decoded size of the part in bytes, when whoever decided knew it. The scan workers hash a part only
   * when some stored verdict has its size (or some has none): see KnownHashFilter.
   */
  size?: number;
  /** When the verdict was reached, milliseconds since the epoch. */
  decidedAt: number;
  source: VerdictSource;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

// WITHOUT ROWID: the table is the primary-key b-tree itself, so a lookup is one b-tree search.
const CREATE = `
CREATE TABLE IF NOT EXISTS verdicts (
  sha256 TEXT NOT NULL PRIMARY KEY CHECK (length(sha256) = 64),
  verdict TEXT NOT NULL,
  backend TEXT NOT NULL,
  name TEXT,
  decided_at INTEGER NOT NULL,
  source TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS verdicts_by_time ON verdicts (decided_at);
`;
/** Added after the table first shipped: state.db files made before it get the column when opened. */
const SIZE_COLUMN = 'ALTER TABLE verdicts ADD COLUMN size INTEGER';

export const GET_VERDICT_SQL = 'SELECT sha256, verdict, backend, name, decided_at, source, size FROM verdicts WHERE sha256 = ?';

const PUT_VERDICT_SQL = `
INSERT INTO verdicts (sha256, verdict, backend, name, decided_at, source, size) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (sha256) DO UPDATE SET
  verdict = excluded.verdict, backend = excluded.backend, name = excluded.name,
  decided_at = excluded.decided_at, source = excluded.source, size = coalesce(excluded.size, verdicts.size)
WHERE (excluded.source = 'manual' AND verdicts.source = 'engine')
   OR (excluded.source = verdicts.source AND excluded.decided_at >= verdicts.decided_at)`;

interface Row {
  sha256: string;
  verdict: string;
  backend: string;
  name: string | null;
  decided_at: number;
  source: string;
  size: number | null;
}

export class VerdictStoreError extends Error {}

/** A change this process made to the store. */
export type VerdictChange = { kind: 'verdict'; record: VerdictRecord } | { kind: 'forget'; sha256: string; forgottenAt: number };

function checkSha(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new VerdictStoreError(`not a SHA-256 in lowercase hex: '${sha256.slice(0, 80)}'`);
}

function fromRow(row: Row): VerdictRecord {
  if (!(ANALYSIS_VERDICTS as readonly string[]).includes(row.verdict) || !(VERDICT_SOURCES as readonly string[]).includes(row.source)) {
    throw new VerdictStoreError(`state.db: verdict row ${row.sha256} holds verdict '${row.verdict}', source '${row.source}'`);
  }
  return {
    sha256: row.sha256,
    verdict: row.verdict as AnalysisVerdict,
    backend: row.backend,
    ...(row.name !== null ? { name: row.name } : {}),
    decidedAt: row.decided_at,
    source: row.source as VerdictSource,
    ...(row.size !== null ? { size: row.size } : {}),
  };
}

/**
 * Whether a clean verdict still spares the part a stage-2 analysis: an engine's clean verdict for
 * ttlMs after it was reached; a manual one until someone changes it. Any other verdict: false.
 */
export function isFreshClean(record: VerdictRecord | undefined, ttlMs: number, now: number = Date.now()): boolean {
  if (record?.verdict !== 'clean') return false;
  if (record.source === 'manual') return true;
  return now - record.decidedAt < ttlMs;
}

export class VerdictStore {
  private readonly db: Database.Database;
  private readonly getStatement: Database.Statement<[string], Row>;
  private readonly putStatement: Database.Statement<[string, string, string, string | null, number, string, number | null]>;

  constructor(path: string) {
    this.db = openStateDb(path);
    this.db.exec(CREATE);
    addSizeColumn(this.db);
    this.getStatement = this.db.prepare(GET_VERDICT_SQL);
    this.putStatement = this.db.prepare(PUT_VERDICT_SQL);
  }

  static open(dataDir: string): VerdictStore {
    return new VerdictStore(stateDbPath(dataDir));
  }

  get(sha256: string): VerdictRecord | undefined {
    checkSha(sha256);
    const row = this.getStatement.get(sha256);
    return row ? fromRow(row) : undefined;
  }

  private readonly listeners: ((change: VerdictChange) => void)[] = [];
  private readonly storedListeners = new Set<(sha256: string, size: number | undefined) => void>();

  /** Hears every change this process makes that did not come from another machine (what verdict sharing publishes). */
  onLocalChange(listener: (change: VerdictChange) => void): void {
    this.listeners.push(listener);
  }

  /** Hears the SHA-256 (and the part's size, when known) of every verdict stored, local or remote (the scan workers' filter, KnownHashes); returns the unsubscribe. */
  onStored(listener: (sha256: string, size: number | undefined) => void): () => void {
    this.storedListeners.add(listener);
    return () => this.storedListeners.delete(listener);
  }

  /**
   * Stores the record unless the conflict rule keeps the one already there; returns whether it was
   * stored. `from: 'remote'`: a verdict shared by another machine (not announced to onLocalChange).
   */
  put(record: VerdictRecord, from: 'local' | 'remote' = 'local'): boolean {
    checkSha(record.sha256);
    if (!(ANALYSIS_VERDICTS as readonly string[]).includes(record.verdict)) throw new VerdictStoreError(`not a storable verdict: '${record.verdict}'`);
    if (!(VERDICT_SOURCES as readonly string[]).includes(record.source)) throw new VerdictStoreError(`not a verdict source: '${record.source}'`);
    if (!Number.isSafeInteger(record.decidedAt)) throw new VerdictStoreError(`decidedAt must be whole milliseconds, got ${record.decidedAt}`);
    if (record.size !== undefined && !(Number.isSafeInteger(record.size) && record.size >= 0)) throw new VerdictStoreError(`size must be a whole number of bytes, got ${record.size}`);
    const result = this.putStatement.run(record.sha256, record.verdict, record.backend, record.name ?? null, record.decidedAt, record.source, record.size ?? null);
    const stored = result.changes > 0;
    if (stored) for (const listener of this.storedListeners) listener(record.sha256, record.size);
    if (stored && from === 'local') this.announce({ kind: 'verdict', record });
    return stored;
  }

  /** Removes what is known about the part; returns whether there was a record. */
  forget(sha256: string, from: 'local' | 'remote' = 'local'): boolean {
    checkSha(sha256);
    const forgotten = this.db.prepare('DELETE FROM verdicts WHERE sha256 = ?').run(sha256).changes > 0;
    if (forgotten && from === 'local') this.announce({ kind: 'forget', sha256, forgottenAt: Date.now() });
    return forgotten;
  }

  private announce(change: VerdictChange): void {
    for (const listener of this.listeners) listener(change);
  }

  /** Newest first. */
  list({ limit, offset = 0 }: { limit: number; offset?: number }): VerdictRecord[] {
    if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(offset) || offset < 0) {
      throw new VerdictStoreError(`list: limit and offset must be whole numbers >= 0, got ${limit}, ${offset}`);
    }
    const rows = this.db.prepare('SELECT sha256, verdict, backend, name, decided_at, source, size FROM verdicts ORDER BY decided_at DESC, sha256 LIMIT ? OFFSET ?').all(limit, offset) as Row[];
    return rows.map(fromRow);
  }

  /** Every SHA-256 the store holds, in order, with the part's size when it is known. */
  forEachSha256(action: (sha256: string, size: number | undefined) => void): void {
    // Pages of the primary key: .all() reads rows several times faster than .iterate(), in bounded memory.
    const page = this.db.prepare('SELECT sha256, size FROM verdicts WHERE sha256 > ? ORDER BY sha256 LIMIT 10000').raw();
    for (let after = ''; ; ) {
      const rows = page.all(after) as [string, number | null][];
      for (const [sha256, size] of rows) action(sha256, size ?? undefined);
      if (rows.length < 10000) return;
      after = rows[rows.length - 1][0];
    }
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM verdicts').get() as { n: number }).n;
  }

  /** How SQLite runs get(): the detail lines of EXPLAIN QUERY PLAN, e.g. "SEARCH verdicts USING PRIMARY KEY (sha256=?)". */
  lookupPlan(): string[] {
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${GET_VERDICT_SQL}`).all('0'.repeat(64)) as { detail: string }[]).map((row) => row.detail);
  }

  /** Many records in one transaction (used to fill the store for the lookup benchmark). */
  putMany(records: Iterable<VerdictRecord>): number {
    let stored = 0;
    this.db.transaction(() => {
      for (const record of records) if (this.put(record)) stored++;
    })();
    return stored;
  }

  close(): void {
    this.db.close();
  }
}

function addSizeColumn(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(verdicts)').all() as { name: string }[];
  if (columns.some((column) => column.name === 'size')) return;
  try {
    db.exec(SIZE_COLUMN);
  } catch (error) {
    // Another process (the CLI, the proxy) added it first.
    if (!/duplicate column/i.test((error as Error).message)) throw error;
  }
}
