// Persisted hit counters of rules, one row per layer and rule id, in the state database
// (<data-dir>/state.db, SQLite). The proxy counts; the CLI lists and resets, also while the proxy runs.
import type Database from 'better-sqlite3';
import { openStateDb, stateDbPath } from './state-db.js';

export { stateDbPath };

export interface RuleHits {
  hits: number;
  /** ISO time of the last hit. */
  lastHit?: string;
}

export interface RuleHit {
  ruleId: string;
  /** Attachment rules count once per part they applied to. */
  count: number;
}

export class RuleHitStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = openStateDb(path);
    this.db.exec('CREATE TABLE IF NOT EXISTS rule_hits (layer TEXT NOT NULL, rule_id TEXT NOT NULL, hits INTEGER NOT NULL, last_hit TEXT, PRIMARY KEY (layer, rule_id))');
  }

  static open(dataDir: string): RuleHitStore {
    return new RuleHitStore(stateDbPath(dataDir));
  }

  record(layer: string, hits: readonly RuleHit[], at = new Date()): void {
    if (hits.length === 0) return;
    const upsert = this.db.prepare(
      'INSERT INTO rule_hits (layer, rule_id, hits, last_hit) VALUES (?, ?, ?, ?) ON CONFLICT (layer, rule_id) DO UPDATE SET hits = hits + excluded.hits, last_hit = excluded.last_hit',
    );
    const time = at.toISOString();
    this.db.transaction(() => {
      for (const hit of hits) upsert.run(layer, hit.ruleId, hit.count, time);
    })();
  }

  all(layer: string): Map<string, RuleHits> {
    const rows = this.db.prepare('SELECT rule_id, hits, last_hit FROM rule_hits WHERE layer = ?').all(layer) as { rule_id: string; hits: number; last_hit: string | null }[];
    return new Map(rows.map((row) => [row.rule_id, { hits: row.hits, ...(row.last_hit ? { lastHit: row.last_hit } : {}) }]));
  }

  /** Resets one rule's counter, or every counter of the layer; returns how many rules had hits. */
  reset(layer: string, ruleId?: string): number {
    const result =
      ruleId === undefined
        ? this.db.prepare('DELETE FROM rule_hits WHERE layer = ?').run(layer)
        : this.db.prepare('DELETE FROM rule_hits WHERE layer = ? AND rule_id = ?').run(layer, ruleId);
    return result.changes;
  }

  close(): void {
    this.db.close();
  }
}
