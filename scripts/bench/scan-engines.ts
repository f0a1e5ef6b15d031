// Throughput of the builtin engine against clamd (INSTREAM over its Unix socket) with the same
// generated signatures: 1,000 .ndb patterns (plain, '??', '*', '{n-m}', alternatives) and 100,000
// hashes (MD5 .hdb and SHA256 .hsb), over 200 MB of random data scanned as 10 MB files, a few of
// them carrying planted signature matches. Both engines must agree on what they found.
//
//   node --import tsx scripts/bench/scan-engines.ts [--total-mb 200] [--file-mb 10] [--runs 3] [--baseline DIR]
//
// --baseline DIR: another checkout (e.g. `git worktree add /tmp/base <commit>`, with node_modules) whose
// builtin engine is measured in the same run, runs interleaved with this one's, for a before/after ratio.
//
// Prints JSON: MB/s of wall time and of CPU time (this process for builtin, clamd's process for clamd; the
// CPU figures compare on a busy machine too). Only ratios from one run on one machine mean anything.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startClamd } from '../test-servers/clamd.js';
import { createBuiltinEngine } from '../../src/scan/engines/builtin/index.js';
import { createClamdEngine } from '../../src/scan/engines/clamd/index.js';
import type { ContentEngine, ContentInfo } from '../../src/scan/types.js';

const { values } = parseArgs({
  options: {
    'total-mb': { type: 'string', default: '200' },
    'file-mb': { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    'ndb-count': { type: 'string', default: '1000' },
    'hash-count': { type: 'string', default: '100000' },
    baseline: { type: 'string' },
  },
});
const MB = 1024 * 1024;
const totalBytes = Number(values['total-mb']) * MB;
const fileBytes = Number(values['file-mb']) * MB;
const runs = Number(values.runs);
const ndbCount = Number(values['ndb-count']);
const hashCount = Number(values['hash-count']);

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** One generated body signature and, for planting, bytes that match it. */
interface Generated {
  line: string;
  sample: Buffer;
}

function bodySignature(index: number): Generated {
  const name = `Bench.Body.${index}`;
  const a = randomBytes(8);
  const b = randomBytes(8);
  switch (index % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4: {
      const bytes = Buffer.concat([a, b]);
      return { line: `${name}:0:*:${bytes.toString('hex')}`, sample: bytes };
    }
    case 5:
    case 6:
      return { line: `${name}:0:*:${a.toString('hex')}??${b.subarray(0, 6).toString('hex')}`, sample: Buffer.concat([a, Buffer.from([0x5a]), b.subarray(0, 6)]) };
    case 7:
      return { line: `${name}:0:*:${a.toString('hex')}*${b.toString('hex')}`, sample: Buffer.concat([a, randomBytes(1000), b]) };
    case 8:
      return { line: `${name}:0:*:${a.toString('hex')}{10-50}${b.toString('hex')}`, sample: Buffer.concat([a, randomBytes(30), b]) };
    default: {
      const alternatives = randomBytes(2);
      return {
        line: `${name}:0:*:${a.subarray(0, 6).toString('hex')}(${alternatives.subarray(0, 1).toString('hex')}|${alternatives.subarray(1).toString('hex')})${b.subarray(0, 6).toString('hex')}`,
        sample: Buffer.concat([a.subarray(0, 6), alternatives.subarray(1), b.subarray(0, 6)]),
      };
    }
  }
}

function hashSignatures(count: number, hashBytes: number, prefix: string): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`${hex(hashBytes)}:${1000 + ((i * 7919) % (20 * MB))}:${prefix}.${i}`);
  return `${lines.join('\n')}\n`;
}

interface Throughput {
  mbPerSecond: number;
  seconds: number;
  /** MB per second of CPU time of the process doing the scanning (this one for builtin, clamd's for clamd). */
  mbPerCpuSecond: number;
  detections: string[];
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Best of `runs` for each engine, their runs interleaved so that a change in load hits all of them alike;
 * wall time and CPU time (`cpuPids`: the process that does each engine's work), as CPU time compares even
 * on a busy machine, where wall time does not.
 */
async function throughputs(engines: ContentEngine[], cpuPids: number[], files: Buffer[]): Promise<Throughput[]> {
  const info: ContentInfo = { location: [], insideArchive: false };
  const best = engines.map(() => Infinity);
  const bestCpu = engines.map(() => Infinity);
  const detections: string[][] = engines.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (const [which, engine] of engines.entries()) {
      const started = performance.now();
      const cpuBefore = processCpuSeconds(cpuPids[which]);
      const found: string[] = [];
      for (const [index, file] of files.entries()) for (const finding of await engine.scan(file, info)) found.push(`${index}:${finding.name}`);
      best[which] = Math.min(best[which], (performance.now() - started) / 1000);
      bestCpu[which] = Math.min(bestCpu[which], processCpuSeconds(cpuPids[which]) - cpuBefore);
      detections[which] = found.sort();
    }
  }
  const megabytes = files.reduce((n, f) => n + f.length, 0) / MB;
  const rate = (seconds: number): number => Math.round((megabytes / seconds) * 10) / 10;
  return best.map((seconds, which) => ({ mbPerSecond: rate(seconds), seconds: Math.round(seconds * 1000) / 1000, mbPerCpuSecond: rate(bestCpu[which]), detections: detections[which] }));
}

/** The builtin engine of another checkout, loaded with the same signatures. */
async function baselineEngine(checkout: string, signatureDir: string): Promise<ContentEngine> {
  const module = (await import(join(checkout, 'src/scan/engines/builtin/index.ts'))) as { createBuiltinEngine: typeof createBuiltinEngine };
  return module.createBuiltinEngine({ signatureDirs: [signatureDir], includeShippedSignatures: false });
}

async function main(): Promise<void> {
  const generated = Array.from({ length: ndbCount }, (_, i) => bodySignature(i));
  const signatureFiles = {
    'bench.ndb': `${generated.map((g) => g.line).join('\n')}\n`,
    'bench.hdb': hashSignatures(hashCount / 2, 16, 'Bench.MD5'),
    'bench.hsb': hashSignatures(hashCount / 2, 32, 'Bench.SHA256'),
  };
  const files: Buffer[] = [];
  for (let offset = 0; offset < totalBytes; offset += fileBytes) files.push(randomBytes(Math.min(fileBytes, totalBytes - offset)));
  // Plant a few matches so that the comparison covers detections, not just clean data.
  for (let i = 0; i < 10 && i < files.length; i++) generated[i * 7].sample.copy(files[i], 1000 + i * 12345);

  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-bench-'));
  const clamd = await startClamd({ signatureFiles, config: { StreamMaxLength: `${Math.ceil(fileBytes / MB) + 1}M`, MaxFileSize: '500M', MaxScanSize: '1000M' } });
  try {
    for (const [name, text] of Object.entries(signatureFiles)) writeFileSync(join(dir, name), text);
    const loadStarted = performance.now();
    const builtin = await createBuiltinEngine({ signatureDirs: [dir], includeShippedSignatures: false });
    const builtinLoadSeconds = (performance.now() - loadStarted) / 1000;
    const clamdEngine = createClamdEngine({ address: { socket: clamd.socketPath }, timeoutMs: 120_000 });
    const baseline = values.baseline ? await baselineEngine(values.baseline, dir) : undefined;

    const [builtinResult, clamdResult, baselineResult] = await throughputs([builtin, clamdEngine, ...(baseline ? [baseline] : [])], [process.pid, clamd.pid, process.pid], files);
    const agree = [clamdResult, ...(baselineResult ? [baselineResult] : [])].every((other) => JSON.stringify(builtinResult.detections) === JSON.stringify(other.detections));
    const report = {
      data: { totalMB: totalBytes / MB, fileMB: fileBytes / MB, files: files.length, runs, measure: 'best run' },
      signatures: { ndb: ndbCount, hashes: hashCount, builtinLoaded: builtin.signatureCount, builtinLoadSeconds: Math.round(builtinLoadSeconds * 100) / 100, builtinWarnings: builtin.warnings.length },
      builtin: { mbPerSecond: builtinResult.mbPerSecond, seconds: builtinResult.seconds, mbPerCpuSecond: builtinResult.mbPerCpuSecond },
      clamd: { mbPerSecond: clamdResult.mbPerSecond, seconds: clamdResult.seconds, mbPerCpuSecond: clamdResult.mbPerCpuSecond, transport: 'INSTREAM over Unix socket', version: await clamdEngine.version() },
      ratio: Math.round((builtinResult.mbPerSecond / clamdResult.mbPerSecond) * 100) / 100,
      cpuRatio: Math.round((builtinResult.mbPerCpuSecond / clamdResult.mbPerCpuSecond) * 100) / 100,
      ...(baselineResult
        ? {
            baseline: {
              dir: values.baseline,
              mbPerSecond: baselineResult.mbPerSecond,
              mbPerCpuSecond: baselineResult.mbPerCpuSecond,
              ratioToClamd: Math.round((baselineResult.mbPerSecond / clamdResult.mbPerSecond) * 100) / 100,
              speedup: Math.round((builtinResult.mbPerSecond / baselineResult.mbPerSecond) * 100) / 100,
              cpuSpeedup: Math.round((builtinResult.mbPerCpuSecond / baselineResult.mbPerCpuSecond) * 100) / 100,
            },
          }
        : {}),
      detections: { builtin: builtinResult.detections.length, clamd: clamdResult.detections.length, agree },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (!agree) {
      process.stderr.write(`detections differ:\nbuiltin ${builtinResult.detections.join(', ')}\nclamd   ${clamdResult.detections.join(', ')}\n`);
      process.exitCode = 1;
    }
  } finally {
    await clamd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
