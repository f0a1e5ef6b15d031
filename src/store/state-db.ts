// Opens the state database (<data-dir>/state.db, SQLite) that several stores share: rule hits,
// verdicts. Each store creates its own tables with CREATE ... IF NOT EXISTS.
import { chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, posixModes } from '../private-files.js';

export function stateDbPath(dataDir: string): string {
  return join(dataDir, 'state.db');
}

export function openStateDb(path: string): Database.Database {
  ensurePrivateDir(dirname(path));
  const created = !existsSync(path);
  const db = new Database(path);
  if (created && posixModes) chmodSync(path, 0o600);
  // WAL lets the CLI read and write while the proxy writes; the busy timeout covers the brief write locks.
  db.pragma('journal_mode = WAL');
  // A power cut may lose the last writes, never consistency; no fsync per message.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}
