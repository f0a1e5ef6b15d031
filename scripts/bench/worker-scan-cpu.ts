// CPU of one scan worker over the bulk mailbox (relay.ts's 300 messages, ~256 MB: base64 attachments and
// plain text): the worker's own code (serveScans, as the pool runs it) in a worker thread with the pool's
// resource limits, fed every message on shared memory, one at a time. Builds given with --mains (compiled
// dist/ directories) run in the same worker, round by round in turn, so a change in the machine's load
// hits them alike; they share the worker's heap, so a collection may land in either's turn. Per build
// it prints the thread's CPU per round (best and median, from /proc/thread-self/schedstat: the worker's
// own thread only, not V8's parallel GC helpers), and the garbage collections per round by kind with
// their pause times. Collections are counted, so they compare across runs; times only within one run.
// With --allocations, each build's rounds also run under V8's sampling heap profiler (objects that
// scavenges and full collections freed included) and it prints the JS-heap bytes allocated per round by
// call site: the allocating frame and the nearest frame of the build's own code. Off-heap memory (Buffer
// contents) is not in it; strings, views, arrays and objects are. The profiler costs CPU: compare CPU
// figures only between runs without it.
// --mailbox scan-cost: each round scans scan-cost.ts's clean 10 MB message (a zip) 20 times instead: the
// worker's share of that row's "last byte → verdict".
// --fresh-headers: every message starts with an "X-Bench-Round:" field whose value changes each round, so
// no envelope comes from the thread's RecentEnvelopes cache (which otherwise knows every header block from
// the second round on): a proxy's bulk fetch of new mail parses each header block, as this then does.
// Usage: npm run build && node --import tsx scripts/bench/worker-scan-cpu.ts [--mains dist,OTHER/dist] [--rounds 3] [--young-mb N] [--allocations [--top 20]] [--mailbox bulk|scan-cost] [--fresh-headers]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Session } from 'node:inspector/promises';
import { setFlagsFromString } from 'node:v8';
import { benchMailbox, median } from './mailbox.js';
import { scanCostMessage } from './scan-cost-message.js';
import { machine } from './machine.js';

interface Job {
  builds: string[];
  rounds: number;
  messages: Uint8Array[];
  youngMb: number;
  allocations: boolean;
  freshHeaders: boolean;
}

/** The field --fresh-headers puts first in each message; its digits are rewritten before every round. */
const ROUND_FIELD = 'X-Bench-Round: 000000\r\n';
const ROUND_DIGITS = { at: 'X-Bench-Round: '.length, length: 6 };

interface Round {
  cpuMs: number;
  collections: Record<string, { count: number; ms: number }>;
  /** With --allocations: sampled JS-heap bytes by call site. */
  allocated?: Record<string, number>;
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

if (isMainThread) {
  const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
  const builds = argument('--mains', 'dist')
    .split(',')
    .map((dist) => resolve(dist));
  const rounds = Number(argument('--rounds', '3'));
  // The pool's limit (worker-pool.ts); another value shows what a different young generation would change.
  const { SCAN_WORKER_RESOURCE_LIMITS } = (await import(pathToFileURL(join(builds[builds.length - 1], 'scan/worker-pool.js')).href)) as { SCAN_WORKER_RESOURCE_LIMITS: { maxYoungGenerationSizeMb: number } };
  const youngMb = Number(argument('--young-mb', String(SCAN_WORKER_RESOURCE_LIMITS.maxYoungGenerationSizeMb)));
  const mailbox = argument('--mailbox', 'bulk') === 'scan-cost' ? Array.from({ length: 20 }, () => scanCostMessage(false)) : benchMailbox(300);
  const freshHeaders = process.argv.includes('--fresh-headers');
  const messages = (freshHeaders ? mailbox.map((message) => Buffer.concat([Buffer.from(ROUND_FIELD, 'latin1'), message])) : mailbox).map((message) => {
    const shared = new Uint8Array(new SharedArrayBuffer(message.length));
    shared.set(message);
    return shared;
  });
  const allocations = process.argv.includes('--allocations');
  const top = Number(argument('--top', '20'));
  const job: Job = { builds, rounds, messages, youngMb, allocations, freshHeaders };
  const self = JSON.stringify(import.meta.url);
  // Semi-spaces of a third of the young generation from the start, as the pool's startScanThread sets them
  // (--young-mb 3: the 1 MiB semi-spaces the proxy's --max-semi-space-size=1 gave its workers before that).
  setFlagsFromString(`--max-semi-space-size=${Math.max(1, Math.floor(youngMb / 3))}`);
  setFlagsFromString(`--min-semi-space-size=${Math.max(1, Math.floor(youngMb / 3))}`);
  const worker = new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${self}); })`, { eval: true, workerData: job, resourceLimits: { maxYoungGenerationSizeMb: youngMb } });
  const results = await new Promise<Record<string, Round[]>>((resolveResults, reject) => {
    worker.once('message', resolveResults);
    worker.once('error', reject);
  });
  const megabytes = messages.reduce((sum, message) => sum + message.length, 0) / 1024 / 1024;
  const report = Object.fromEntries(
    Object.entries(results).map(([build, perRound]) => {
      const cpu = perRound.map((round) => round.cpuMs);
      const kinds = [...new Set(perRound.flatMap((round) => Object.keys(round.collections)))];
      const collections = Object.fromEntries(kinds.map((kind) => [kind, { perRound: perRound.map((round) => round.collections[kind]?.count ?? 0), pauseMs: perRound.map((round) => round.collections[kind]?.ms ?? 0) }]));
      const summary = { bestCpuMs: Math.min(...cpu), medianCpuMs: median(cpu), cpuMs: cpu, mbPerCpuSecond: Math.round((megabytes / (Math.min(...cpu) / 1000)) * 10) / 10, collections };
      return [build, allocations ? { ...summary, allocatedMbPerRound: allocatedPerRound(perRound, top) } : summary];
    }),
  );
  console.log(JSON.stringify({ benchmark: `one scan worker's thread CPU per round over ${messages.length} messages (${Math.round(megabytes)} MB), builds alternated`, rounds, maxYoungGenerationSizeMb: youngMb, builds: report, ...machine() }, null, 2));
  await worker.terminate();
} else {
  const job = workerData as Job;
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-worker-bench-'));
  const replies = new Map<number, (reply: { ok: boolean; message?: string }) => void>();
  const servers: Array<Array<(request: unknown) => void>> = [];
  for (const build of job.builds) {
    const { serveScans } = (await import(pathToFileURL(join(build, 'scan/scan-worker.js')).href)) as typeof import('../../src/scan/scan-worker.js');
    const { configSchema } = (await import(pathToFileURL(join(build, 'config/schema.js')).href)) as typeof import('../../src/config/schema.js');
    const listeners: Array<(request: unknown) => void> = [];
    serveScans(
      { on: (_event, listener) => listeners.push(listener as (request: unknown) => void), postMessage: (reply) => 'id' in reply && replies.get(reply.id)?.(reply) },
      { config: configSchema.parse({}), dataDir, engineNames: ['builtin'] },
    );
    servers.push(listeners);
  }
  let nextId = 0;
  const scan = (server: number, bytes: Uint8Array, uid: number) =>
    new Promise<void>((resolveScan, reject) => {
      const id = ++nextId;
      replies.set(id, (reply) => (reply.ok ? resolveScan() : reject(new Error(reply.message))));
      const context = { protocol: 'imap', section: 'BODY[]', mailbox: 'INBOX', uidValidity: '1', uid };
      for (const listener of servers[server]) listener({ type: 'scan', id, bytes, pooled: true, context });
    });
  const threadCpuMs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  const session = job.allocations ? new Session() : undefined;
  session?.connect();

  // One message each first: engines built, code warm.
  for (let server = 0; server < servers.length; server++) await scan(server, job.messages[0], 0);
  const results: Record<string, Round[]> = Object.fromEntries(job.builds.map((build) => [build, []]));
  for (let round = 0; round < job.rounds; round++) {
    // The builds share one heap: every other round runs them in reverse, so a collection that the
    // allocations of both trigger does not always land in the same build's turn.
    const order = job.builds.map((_, server) => server);
    if (round % 2 === 1) order.reverse();
    if (job.freshHeaders) {
      // Each build's cache is its own: one new value per round makes every header block new to each.
      const digits = Buffer.from(String(round + 1).padStart(ROUND_DIGITS.length, '0'), 'latin1');
      for (const message of job.messages) message.set(digits, ROUND_DIGITS.at);
    }
    for (const server of order) {
      const build = job.builds[server];
      const collections: Round['collections'] = {};
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          const kind = GC_KINDS[(entry as PerformanceEntry & { detail: { kind: number } }).detail.kind] ?? 'other';
          collections[kind] ??= { count: 0, ms: 0 };
          collections[kind].count++;
          collections[kind].ms += entry.duration;
        }
      });
      observer.observe({ entryTypes: ['gc'] });
      await session?.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as object);
      const before = threadCpuMs();
      // The same messages every round: from the second on, each build's recent-envelope cache knows their headers.
      for (const [index, message] of job.messages.entries()) await scan(server, message, (round * job.builds.length + server) * 1000 + index + 1);
      const cpuMs = Math.round(threadCpuMs() - before);
      const profile = session && ((await session.post('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } }).profile;
      // Entries are delivered asynchronously: a turn of the event loop before the observer stops.
      await new Promise((resolveTurn) => setTimeout(resolveTurn, 20));
      observer.disconnect();
      for (const kind of Object.keys(collections)) collections[kind].ms = Math.round(collections[kind].ms);
      results[build].push({ cpuMs, collections, ...(profile ? { allocated: bySite(profile.head, build) } : {}) });
    }
  }
  session?.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
  parentPort!.postMessage(results);
}

/** Sampled bytes by "allocating frame < nearest frame of the build's code" (what allocated, and where in our code). */
function bySite(head: ProfileNode, build: string): Record<string, number> {
  const sites: Record<string, number> = {};
  const frameName = (node: ProfileNode) => `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\//, '')}:${node.callFrame.lineNumber + 1}`;
  const visit = (node: ProfileNode, ours: string | undefined): void => {
    const own = node.callFrame.url.includes(build) ? frameName(node) : ours;
    if (node.selfSize > 0) {
      const self = frameName(node);
      const key = own === undefined || own === self ? self : `${self} < ${own}`;
      sites[key] = (sites[key] ?? 0) + node.selfSize;
    }
    for (const child of node.children) visit(child, own);
  };
  visit(head, undefined);
  return sites;
}

/** Per call site, the median over rounds of MB allocated; the top ones, and the total. */
function allocatedPerRound(perRound: Round[], top: number): { totalMb: number; sites: Record<string, number> } {
  const keys = [...new Set(perRound.flatMap((round) => Object.keys(round.allocated ?? {})))];
  const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const sites = keys.map((key) => [key, median(perRound.map((round) => round.allocated?.[key] ?? 0))] as const).sort((a, b) => b[1] - a[1]);
  const totals = perRound.map((round) => Object.values(round.allocated ?? {}).reduce((sum, bytes) => sum + bytes, 0));
  return { totalMb: mb(median(totals)), sites: Object.fromEntries(sites.slice(0, top).map(([key, bytes]) => [key, mb(bytes)])) };
}
