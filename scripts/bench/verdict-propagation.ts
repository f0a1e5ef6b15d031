// Verdict sharing (#18), in one run against a real redis-server (scripts/test-servers/redis.ts):
//  - propagation A→B over 1,000 verdicts: from A's publish() to B's onRemoteVerdict, one at a time
//    (latency) and all at once (a burst), median and p99;
//  - what publish() costs the caller with Redis up, stopped, and stalled (SIGSTOP: accepts nothing,
//    answers nothing), side by side: it must not depend on Redis.
// Both instances run in this process (same clock), each with its own state.db, with production defaults.
// Prints JSON. Usage: node --import tsx scripts/bench/verdict-propagation.ts [count]
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../test-servers/redis.js';
import { stateDbPath } from '../../src/store/state-db.js';
import { verdictChange } from '../../src/store/verdict-sharing/shared-change.js';
import { startVerdictSharing, type VerdictSharing } from '../../src/store/verdict-sharing/verdict-sharing.js';
import { VerdictStore, type VerdictRecord } from '../../src/store/verdicts.js';

const COUNT = Number(process.argv[2] ?? 1000);
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

function percentile(sorted: number[], p: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN) * 1000) / 1000;
}

function summary(values: number[]): { count: number; medianMs: number; p99Ms: number; maxMs: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, medianMs: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: percentile(sorted, 100) };
}

let serial = 0;
function verdict(): VerdictRecord {
  serial++;
  return { sha256: createHash('sha256').update(`bench ${serial} ${process.pid}`).digest('hex'), verdict: 'malicious', backend: 'bench', decidedAt: Date.now(), source: 'engine' };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!check()) throw new Error(`timed out: ${what}`);
}

const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), 'ig-bench-share-'));
const arrived = new Map<string, number>();
/** Resolved from onRemoteVerdict itself, so that no polling interval is measured. */
const waiting = new Map<string, () => void>();
const instances: { store: VerdictStore; sharing: VerdictSharing }[] = [];
function start(name: string, onRemoteVerdict?: (record: VerdictRecord) => void): VerdictSharing {
  const db = stateDbPath(join(dir, name));
  const store = new VerdictStore(db);
  const sharing = startVerdictSharing({ share: { redis: redis.url, stream: 'bench:verdicts', maxLength: 100_000, maxQueued: 100_000 }, store, db, log: quiet, onRemoteVerdict });
  instances.push({ store, sharing });
  return sharing;
}

try {
  const a = start('a');
  start('b', (record) => {
    arrived.set(record.sha256, now());
    waiting.get(record.sha256)?.();
  });
  await until(() => instances.every((i) => i.sharing.status().link === 'up'), 'links up');

  const oneAtATime: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const record = verdict();
    const sent = now();
    const arrival = new Promise<void>((resolve) => waiting.set(record.sha256, resolve));
    a.publish(verdictChange(record));
    await arrival;
    oneAtATime.push((arrived.get(record.sha256) as number) - sent);
  }

  const burst = Array.from({ length: COUNT }, verdict);
  const sentAt = new Map<string, number>();
  for (const record of burst) {
    sentAt.set(record.sha256, now());
    a.publish(verdictChange(record));
  }
  await until(() => burst.every((record) => arrived.has(record.sha256)), 'the burst');
  const burstLatencies = burst.map((record) => (arrived.get(record.sha256) as number) - (sentAt.get(record.sha256) as number));

  const publishCost = (): number[] =>
    Array.from({ length: 200 }, () => {
      const started = now();
      a.publish(verdictChange(verdict()));
      return now() - started;
    });
  const up = publishCost();
  await until(() => a.status().queued === 0, 'queue empty');
  process.kill(redis.pid(), 'SIGSTOP');
  const stalled = publishCost();
  process.kill(redis.pid(), 'SIGCONT');
  await until(() => a.status().queued === 0, 'queue empty after the stall');
  await redis.stop();
  const stopped = publishCost();

  process.stdout.write(
    `${JSON.stringify(
      {
        bench: 'verdict-propagation',
        verdicts: COUNT,
        propagationOneAtATime: summary(oneAtATime),
        propagationBurst: summary(burstLatencies),
        publishCallCost: { redisUp: summary(up), redisStalled: summary(stalled), redisStopped: summary(stopped) },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  for (const { sharing, store } of instances) {
    await sharing.close();
    store.close();
  }
  await redis.remove();
  rmSync(dir, { recursive: true, force: true });
}
