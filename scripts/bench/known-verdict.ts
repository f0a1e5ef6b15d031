// What a part already in the verdict store costs (#14): the CPU side of scanning (worker threads, as
// the proxy runs it) for two messages of the same shape and size, one whose zip attachment the store
// knows as malicious (looked up by SHA-256, blocked without the engines) and one it does not know
// (the builtin engine and the archive walk read it: a stage-1 scan). Same run, alternating; prints
// JSON with the medians and their ratio (known / stage 1; at most 1 is the claim).
// Usage: node --import tsx scripts/bench/known-verdict.ts [--rounds N] [--mb N]
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { createScanSetup } from '../../src/scan/create-pipeline.js';
import { VerdictStore } from '../../src/store/verdicts.js';
import { randomBytesFromSeed, withAttachments } from '../../test/helpers/messages.js';
import { zipFile } from '../../test/unit/scan/engines/samples.js';
import { median } from './mailbox.js';

const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const rounds = arg('--rounds', 15);
const megabytes = arg('--mb', 4);

const attachment = (seed: number) => zipFile([{ name: 'data.bin', data: randomBytesFromSeed(megabytes * 1024 * 1024, seed) }], 'store');
const knownZip = attachment(1);
const unknownZip = attachment(2);
const message = (zip: Buffer, subject: string) => withAttachments({ seed: 9, subject, attachments: [{ filename: 'data.zip', contentType: 'application/zip', content: zip }] });
const known = message(knownZip, 'known');
const unknown = message(unknownZip, 'unknown');

const dataDir = mkdtempSync(join(tmpdir(), 'ig-bench-known-verdict-'));
const store = VerdictStore.open(dataDir);
store.put({ sha256: createHash('sha256').update(knownZip).digest('hex'), verdict: 'malicious', backend: 'bench', name: 'Bench.Known', decidedAt: Date.now(), source: 'engine' });
const setup = await createScanSetup(configSchema.parse({ scan: { maxConcurrentScans: 1 } }), dataDir, undefined, ['builtin'], { workers: true, verdicts: store });
const context = { protocol: 'imap' as const, section: 'BODY[]' };

async function timeOne(bytes: Buffer, expect: 'infected' | 'clean'): Promise<number> {
  const started = process.hrtime.bigint();
  const report = await setup.pipeline.evaluate(bytes, context, false);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (report.inspection.verdict !== expect) throw new Error(`expected ${expect}, got ${report.inspection.verdict}`);
  return ms;
}

try {
  await timeOne(known, 'infected');
  await timeOne(unknown, 'clean');
  const times = { knownVerdict: [] as number[], stageOneScan: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    times.knownVerdict.push(await timeOne(known, 'infected'));
    times.stageOneScan.push(await timeOne(unknown, 'clean'));
  }
  const round1 = (value: number) => Math.round(value * 10) / 10;
  console.log(
    JSON.stringify(
      {
        benchmark: 'evaluation of one message in a scan worker, median ms: attachment known to the verdict store vs a stage-1 scan of it',
        messageMB: round1(known.length / 1e6),
        rounds,
        medianMs: { knownVerdict: round1(median(times.knownVerdict)), stageOneScan: round1(median(times.stageOneScan)) },
        ratioKnownToStageOne: Math.round((median(times.knownVerdict) / median(times.stageOneScan)) * 1000) / 1000,
      },
      null,
      2,
    ),
  );
} finally {
  await setup.close();
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
