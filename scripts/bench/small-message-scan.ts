// Per-message fixed costs of a scan: 1,000 small messages (3–30 KB: text, attachments, alternatives)
// through the scan pipeline with its worker threads and a verdict store holding 1,000 verdicts, as the
// proxy runs it, `--concurrency` messages in flight (the clients of a busy proxy). With `--baseline
// OTHER/dist`, that build runs the same work, alternating round by round. Prints JSON: messages per
// second (median of the rounds) per build and their ratio, the CPU time per scanned message of this
// thread and of all other threads (scan workers, V8's compiler and GC threads; median of the rounds, from
// /proc: it holds on a busy machine where the rate does not), and the messages this thread posted to the
// workers per scanned message (counted: the scan request, plus one per verdict-store lookup answered).
// Each scan gets a header of its own (an X-Scan field), so nothing a build keeps of recent headers answers
// for it: the cost of a first fetch; `--refetch` scans the same messages every round (a client fetching
// them again). Compiled builds only (npm run build).
// Usage: npm run build && node --import tsx scripts/bench/small-message-scan.ts [--rounds N] [--messages N]
//        [--concurrency N] [--refetch] [--baseline OTHER/dist]
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { mixedMailbox } from '../../test/helpers/messages.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const rounds = Number(argument('--rounds', '3'));
const count = Number(argument('--messages', '1000'));
const concurrency = Number(argument('--concurrency', '10'));
const baseline = argument('--baseline', '');
const refetch = process.argv.includes('--refetch');
let scanSerial = 0;
const ownDist = fileURLToPath(new URL('../../dist', import.meta.url));

for (const dist of [ownDist, baseline].filter(Boolean)) {
  if (!existsSync(join(dist, 'scan/create-pipeline.js'))) {
    console.error(`bench: no compiled build at ${dist} (npm run build)`);
    process.exit(2);
  }
}

// Counts the main thread's messages to the workers, whichever build posts them.
let posted = 0;
const postMessage = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
  posted++;
  return postMessage.apply(this, args);
};

/** CPU milliseconds so far of this process's main thread and of its other threads (utime + stime, in clock ticks of 10 ms). */
function threadCpu(): { main: number; other: number } {
  const cpu = { main: 0, other: 0 };
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // a thread that ended meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    cpu[tid === String(process.pid) ? 'main' : 'other'] += (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return cpu;
}

interface Build {
  name: string;
  scanAll(messages: Buffer[]): Promise<number>;
  close(): Promise<void>;
}

async function load(name: string, dist: string): Promise<Build> {
  const from = (path: string) => import(pathToFileURL(join(resolve(dist), path)).href);
  const [{ createScanSetup }, { VerdictStore }, { BodySpool }, { configSchema }] = await Promise.all([
    from('scan/create-pipeline.js'),
    from('store/verdicts.js'),
    from('proxy/body-spool.js'),
    from('config/schema.js'),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), `inboxguard-small-scan-${name}-`));
  const verdicts = VerdictStore.open(dataDir);
  verdicts.putMany(Array.from({ length: 1000 }, () => ({ sha256: randomBytes(32).toString('hex'), verdict: 'malicious', backend: 'bench', decidedAt: Date.now(), source: 'engine' })));
  const config = configSchema.parse({ scan: { maxConcurrentScans: Math.max(1, Math.min(4, cpus().length)) } });
  const setup = await createScanSetup(config, dataDir, undefined, ['builtin'], { workers: true, verdicts });
  const scanOne = async (stored: Buffer, uid: number) => {
    const message = refetch ? stored : Buffer.concat([Buffer.from(`X-Scan: ${++scanSerial}\r\n`), stored]);
    const spool = new BodySpool(16 * 1024 * 1024, { announcedSize: message.length });
    spool.append(message);
    await spool.finish();
    await setup.pipeline.scan(spool, { protocol: 'imap', section: 'BODY[]', mailbox: 'INBOX', uidValidity: '1', uid });
    spool.dispose();
  };
  return {
    name,
    async scanAll(messages) {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < messages.length) {
            const index = next++;
            await scanOne(messages[index], index + 1);
          }
        }),
      );
      return messages.length / ((performance.now() - started) / 1000);
    },
    async close() {
      await setup.close();
      verdicts.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const messages = mixedMailbox(count, 7).filter((message) => message.length < 32 * 1024);
const builds = [await load('thisBuild', ownDist), ...(baseline ? [await load('baselineBuild', baseline)] : [])];
// The workers start on first need: one warm-up pass each, not measured.
for (const build of builds) await build.scanAll(messages.slice(0, 50));
const rates = new Map<string, number[]>(builds.map((build) => [build.name, []]));
const postedPerScan = new Map<string, number>();
const cpuPerScan = new Map<string, { main: number[]; other: number[] }>(builds.map((build) => [build.name, { main: [], other: [] }]));
for (let round = 0; round < rounds; round++) {
  for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
    const before = posted;
    const cpuBefore = threadCpu();
    rates.get(build.name)!.push(await build.scanAll(messages));
    const cpuAfter = threadCpu();
    cpuPerScan.get(build.name)!.main.push(((cpuAfter.main - cpuBefore.main) * 1000) / messages.length);
    cpuPerScan.get(build.name)!.other.push(((cpuAfter.other - cpuBefore.other) * 1000) / messages.length);
    postedPerScan.set(build.name, (posted - before) / messages.length);
  }
}
for (const build of builds) await build.close();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const result: Record<string, unknown> = { benchmark: `${messages.length} small messages through the scan pipeline and its workers, ${concurrency} in flight, ${refetch ? 'the same messages every round' : 'each scan a header of its own'}`, rounds };
for (const [name, values] of rates) {
  const cpu = cpuPerScan.get(name)!;
  result[name] = {
    messagesPerSecond: Math.round(median(values)),
    rounds: values.map(Math.round),
    cpuUsPerScan: { mainThread: Math.round(median(cpu.main)), otherThreads: Math.round(median(cpu.other)) },
    postedToWorkersPerScan: Number(postedPerScan.get(name)!.toFixed(2)),
  };
}
if (baseline) result.ratio = Number((median(rates.get('thisBuild')!) / median(rates.get('baselineBuild')!)).toFixed(2));
result.baselinePath = baseline || undefined;
result.loadavg = loadavg().map((value) => value.toFixed(2)).join(' ');
console.log(JSON.stringify(result, null, 2));
