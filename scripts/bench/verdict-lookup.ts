// What a verdict-store lookup costs with 1, 10,000 and 1,000,000 entries (#14: it must not grow with
// the store beyond the depth of the primary-key b-tree), in one run: each store is filled, reopened,
// then asked for known and unknown SHA-256s.
// Prints JSON. Usage: node --import tsx scripts/bench/verdict-lookup.ts
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateDbPath } from '../../src/store/state-db.js';
import { VerdictStore, type VerdictRecord } from '../../src/store/verdicts.js';

const SIZES = [1, 10_000, 1_000_000];
const LOOKUPS = 50_000;
const T0 = Date.UTC(2026, 0, 1);

const sha = (i: number) => createHash('sha256').update(`part ${i}`).digest('hex');

function* records(count: number): Generator<VerdictRecord> {
  for (let i = 0; i < count; i++) {
    yield { sha256: sha(i), verdict: i % 10 === 0 ? 'malicious' : 'clean', backend: 'bench', ...(i % 10 === 0 ? { name: `Bench.${i}` } : {}), decidedAt: T0 + i, source: 'engine' };
  }
}

/** Mean microseconds per get() over LOOKUPS keys, after a warm-up pass over the same keys. */
function timeLookups(store: VerdictStore, keys: string[], expectFound: number): number {
  for (const key of keys) store.get(key);
  const started = process.hrtime.bigint();
  let found = 0;
  for (const key of keys) if (store.get(key)) found++;
  const elapsed = Number(process.hrtime.bigint() - started) / 1000;
  if (found !== expectFound) throw new Error(`expected ${expectFound} of ${keys.length} keys to be found, found ${found}`);
  return Math.round((elapsed / keys.length) * 100) / 100;
}

const results = [];
for (const size of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'ig-bench-verdicts-'));
  try {
    const filling = VerdictStore.open(dir);
    const fillStarted = process.hrtime.bigint();
    filling.putMany(records(size));
    const fillSeconds = Number(process.hrtime.bigint() - fillStarted) / 1e9;
    filling.close();
    const store = VerdictStore.open(dir);
    const known = Array.from({ length: LOOKUPS }, (_, i) => sha(Math.floor((i * 7919) % size)));
    const unknown = Array.from({ length: LOOKUPS }, (_, i) => sha(size + i));
    results.push({
      entries: store.count(),
      knownLookupMicros: timeLookups(store, known, LOOKUPS),
      unknownLookupMicros: timeLookups(store, unknown, 0),
      plan: store.lookupPlan(),
      fillSeconds: Math.round(fillSeconds * 10) / 10,
      dbBytes: statSync(stateDbPath(dir)).size + (statSync(`${stateDbPath(dir)}-wal`, { throwIfNoEntry: false })?.size ?? 0),
    });
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const small = results[0];
const large = results[results.length - 1];
console.log(
  JSON.stringify(
    {
      benchmark: `verdict store get(), mean µs per lookup over ${LOOKUPS} keys (known and unknown SHA-256s)`,
      results,
      knownRatioLargeToSmall: Math.round((large.knownLookupMicros / small.knownLookupMicros) * 100) / 100,
      unknownRatioLargeToSmall: Math.round((large.unknownLookupMicros / small.unknownLookupMicros) * 100) / 100,
    },
    null,
    2,
  ),
);
