// What a lazily started scan worker costs the message that needs it: the time to the first verdict of a
// fresh pool (the worker starts, loads its engines and signatures, then scans) against the same scan
// on a worker already running, and the process RSS the running worker adds; and the first verdict of a
// pool told to prewarm --gap-ms before the message (a session's FETCH of envelopes before its first body).
// Uses the compiled pool. Prints JSON.
// Usage: npm run build && node --import tsx scripts/bench/worker-cold-start.ts [--rounds N] [--gap-ms N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bigMessage } from '../../test/helpers/messages.js';
import { median } from './mailbox.js';
import { requireBuild } from './require-build.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const rounds = Number(argument('--rounds', '5'));
const gapMs = Number(argument('--gap-ms', '300'));
const dist = new URL('../../dist/', import.meta.url);
requireBuild('scan/worker-pool.js', 'worker');

interface Pool {
  evaluate(bytes: Buffer, context: { protocol: 'imap'; section: string }): Promise<unknown>;
  prewarm(): void;
  close(): Promise<void>;
}
const { ScanWorkerPool } = (await import(new URL('scan/worker-pool.js', dist).href)) as { ScanWorkerPool: new (size: number, data: unknown) => Pool };
const { configSchema } = (await import(new URL('config/schema.js', dist).href)) as { configSchema: { parse(input: unknown): unknown } };

const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-cold-start-'));
const data = { config: configSchema.parse({}), dataDir, engineNames: ['builtin'] };
const message = bigMessage(100 * 1024, { kind: 'base64' });
const context = { protocol: 'imap' as const, section: 'BODY[]' };
const rssMiB = () => process.memoryUsage().rss / 1024 / 1024;
const ms = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

const cold: number[] = [];
const warm: number[] = [];
const added: number[] = [];
const prewarmed: number[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    const before = rssMiB();
    const pool = new ScanWorkerPool(1, data);
    let started = process.hrtime.bigint();
    await pool.evaluate(message, context);
    cold.push(ms(started));
    started = process.hrtime.bigint();
    await pool.evaluate(message, context);
    warm.push(ms(started));
    added.push(rssMiB() - before);
    await pool.close();
    const early = new ScanWorkerPool(1, data);
    early.prewarm();
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    started = process.hrtime.bigint();
    await early.evaluate(message, context);
    prewarmed.push(ms(started));
    await early.close();
  }
  const round1 = (value: number) => Math.round(value * 10) / 10;
  console.log(
    JSON.stringify(
      {
        benchmark: 'first verdict of a fresh scan worker vs a running one (100 KiB base64 message), ms (median)',
        rounds,
        coldFirstVerdictMs: round1(median(cold)),
        warmVerdictMs: round1(median(warm)),
        workerStartCostMs: round1(median(cold) - median(warm)),
        rssAddedPerWorkerMiB: round1(median(added)),
        gapMs,
        prewarmedFirstVerdictMs: round1(median(prewarmed)),
        node: process.version,
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
