// Applies a change from another machine to this machine's VerdictStore. A verdict goes through
// store.put() (a manual decision beats an engine's, newest wins), unless a forget newer than it was
// seen here; a forget erases a record not newer than it and is kept as a tombstone.
import type { VerdictRecord, VerdictStore } from '../verdicts.js';
import { changeWins, recordOf, verdictChange, type SharedChange } from './shared-change.js';
import type { ShareTables } from './share-tables.js';

/** Returns the verdict record when the local store took it (so the proxy acts on it), else undefined. */
export function applyRemoteChange(store: VerdictStore, tables: ShareTables, change: SharedChange): VerdictRecord | undefined {
  if (change.kind === 'forget') {
    tables.recordForget(change.sha256, change.forgottenAt);
    const kept = store.get(change.sha256);
    if (kept && changeWins(verdictChange(kept), change)) store.forget(change.sha256, 'remote');
    return undefined;
  }
  const tombstone = tables.forgetOf(change.sha256);
  if (tombstone && !changeWins(tombstone, change)) return undefined;
  const record = recordOf(change);
  // The same record again (read from the hash, or replayed) is not news: put() would store it, ties going to the incoming one.
  if (sameRecord(store.get(record.sha256), record)) return undefined;
  return store.put(record, 'remote') ? record : undefined;
}

function sameRecord(a: VerdictRecord | undefined, b: VerdictRecord): boolean {
  return a !== undefined && a.verdict === b.verdict && a.backend === b.backend && a.name === b.name && a.decidedAt === b.decidedAt && a.source === b.source;
}
