// Round-trip time of small commands (NOOP, UID FETCH n (FLAGS)) on one connection, direct to Dovecot,
// through socat and through inboxguard (compiled, its own process), interleaved round by round; with
// --after-bulk each connection first fetches the whole mailbox, so the proxy's heap holds what a bulk
// fetch leaves behind. Prints JSON: p50/p90/p99/max and what inboxguard adds over socat, scanning on and off.
// On a shared machine round-by-round tails differ by whatever else ran in each target's window; --by-sample
// lets the targets take turns sample by sample, so a burst of other work falls on all of them alike.
// Usage: npm run build && node --import tsx scripts/bench/command-latency.ts [--samples N] [--rounds N]
//        [--after-bulk] [--baseline OTHER/dist/cli/main.js]  (adds that build)
//        [--by-sample]  (every target's connection open at once, one sample of each in turn)
//        [--tail]  (where the slow samples (over 2 ms) spent their time: how many overlapped a GC pause of the proxy's
//                  main thread (gc-log.mjs preloaded), and how many had the relaying thread (inboxguard's main thread,
//                  socat's child) or this process's wait over 0.5 ms on a run queue for a CPU (run_delay, /proc/PID/schedstat);
//                  and the relaying thread's CPU time per command and involuntary context switches per 1,000 commands)
//        [--gap-ms N]  (a pause before each sample, so the relays sleep between commands as they do under a mail client)
//        [--slowest N]  (each target's N slowest samples per round: round#index, ms, ms since the round's first sample)
//        [--samples-out FILE]  (every sample as JSON, for other analyses)
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startDovecot } from '../test-servers/dovecot.js';
import { freePorts } from '../test-servers/free-ports.js';
import { LeanImapClient, type ImapTarget } from './imap-client.js';
import { startInboxguard, type InboxguardProcess } from './inboxguard-process.js';
import { benchMailbox } from './mailbox.js';
import { startSocatRelay } from './socat-relay.js';
import { machine } from './machine.js';
import { requireBuild } from './require-build.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const samples = Number(argument('--samples', '500'));
const rounds = Number(argument('--rounds', '3'));
const afterBulk = process.argv.includes('--after-bulk');
const baseline = argument('--baseline', '');
const bySample = process.argv.includes('--by-sample');
const tail = process.argv.includes('--tail');
const slowest = Number(argument('--slowest', '0'));
const samplesOut = argument('--samples-out', '');
const gapMs = Number(argument('--gap-ms', '0'));
const SLOW_MS = 2;
const WAITED_MS = 0.5;

requireBuild();

const gcLog = tail ? mkdtempSync(join(tmpdir(), 'inboxguard-gc-')) : undefined;
if (gcLog) {
  process.env.INBOXGUARD_GC_LOG = gcLog;
  process.env.INBOXGUARD_BENCH_NODE_ARGS = `${process.env.INBOXGUARD_BENCH_NODE_ARGS ?? ''} --import ${fileURLToPath(new URL('./gc-log.mjs', import.meta.url))}`;
}

const messages = benchMailbox(afterBulk ? 60 : 20);
const dovecot = await startDovecot({ messages: { alice: messages } });
const [socatPort] = await freePorts(1);
const socat = await startSocatRelay({ certPath: dovecot.pki.certPath, keyPath: dovecot.pki.keyPath, caPath: dovecot.caPath, listenPort: socatPort, upstreamPort: dovecot.ports.imaps });
const upstream = `localhost:${dovecot.ports.imaps}`;
const guards: Record<string, InboxguardProcess> = {};
try {
  guards.inboxguard = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap']);
  // Pass-through (`enabled: false`): the same TLS legs without the protocol engine.
  guards.inboxguardScanningOff = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { config: 'enabled: false\n' });
  if (baseline) guards.baselineBuild = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { main: baseline });
} catch (error) {
  // A build that cannot start (say, a --baseline without its signatures) leaves nothing running behind it.
  for (const guard of Object.values(guards)) await guard.stop();
  socat.stop();
  await dovecot.stop();
  throw error;
}
const targets: Record<string, ImapTarget> = {
  direct: { port: dovecot.ports.imaps, ca: dovecot.caPem },
  socat: { port: socatPort, ca: dovecot.caPem },
  ...Object.fromEntries(Object.entries(guards).map(([name, guard]) => [name, { port: guard.port, ca: guard.caPem }])),
};
const names = Object.keys(targets);

interface Sample {
  round: number;
  index: number;
  /** Wall-clock start (performance.timeOrigin based), ms. */
  at: number;
  ms: number;
  /** With --tail: ms this process's main thread, and the relaying thread, waited on a run queue during the sample. */
  clientWaitMs?: number;
  relayWaitMs?: number;
}
const series: { target: string; command: 'noop' | 'fetchFlags'; samples: Sample[] }[] = [];

/** The thread that relays a connection just opened: inboxguard's main thread, or socat's newest child (one per connection). */
function relayPid(name: string): number | undefined {
  if (!tail) return undefined;
  if (name in guards) return guards[name].pid;
  if (name !== 'socat') return undefined;
  const children = readFileSync(`/proc/${socat.pid}/task/${socat.pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
  return children.length > 0 ? Math.max(...children) : undefined;
}

/** The relaying thread's CPU time (ns, schedstat's first field) and how often it was preempted (involuntary context switches). */
function relayCounters(pid: number | undefined): { cpuNs: number; preempted: number } {
  if (pid === undefined) return { cpuNs: 0, preempted: 0 };
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { cpuNs: Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]), preempted: Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0) };
}

/** Per target and command, with --tail: the relay's CPU and preemptions over the commands it relayed (its idle time adds neither). */
const relayUse: Record<string, Record<'noop' | 'fetchFlags', { cpuNs: number; preempted: number; commands: number }>> = {};

/** Runs `phase` (count commands on each of these relays) and charges what their counters moved to that command. */
async function charged(sessions: { name: string; relay: number | undefined }[], command: 'noop' | 'fetchFlags', count: number, phase: () => Promise<void>): Promise<void> {
  if (!tail) return phase();
  const before = sessions.map((session) => relayCounters(session.relay));
  await phase();
  sessions.forEach((session, at) => {
    const after = relayCounters(session.relay);
    const use = ((relayUse[session.name] ??= { noop: { cpuNs: 0, preempted: 0, commands: 0 }, fetchFlags: { cpuNs: 0, preempted: 0, commands: 0 } })[command]);
    use.cpuNs += after.cpuNs - before[at].cpuNs;
    use.preempted += after.preempted - before[at].preempted;
    use.commands += count;
  });
}

/** Nanoseconds the thread has waited on a run queue so far (schedstat's second field). */
function waitedNs(pid: number | undefined): number {
  return pid === undefined ? 0 : Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
}

async function timed(client: LeanImapClient, command: string, sample: Pick<Sample, 'round' | 'index'>, into: Sample[], relay: number | undefined): Promise<void> {
  if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
  // Read outside the timed span.
  const clientBefore = tail ? waitedNs(process.pid) : 0;
  const relayBefore = tail ? waitedNs(relay) : 0;
  const at = performance.timeOrigin + performance.now();
  const started = process.hrtime.bigint();
  await client.command(command);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const waits = tail ? { clientWaitMs: (waitedNs(process.pid) - clientBefore) / 1e6, relayWaitMs: (waitedNs(relay) - relayBefore) / 1e6 } : {};
  into.push({ ...sample, at, ms, ...waits });
}

const fetchFlags = (index: number) => `UID FETCH ${(index % messages.length) + 1} (FLAGS)`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

try {
  for (let round = 0; round < rounds; round++) {
    const open = async (name: string) => {
      const client = await LeanImapClient.connect(targets[name], 'alice', 'secret');
      if (afterBulk) await client.command('UID FETCH 1:* (BODY.PEEK[])');
      const noop: Sample[] = [];
      const flags: Sample[] = [];
      series.push({ target: name, command: 'noop', samples: noop }, { target: name, command: 'fetchFlags', samples: flags });
      return { name, client, relay: relayPid(name), noop, flags };
    };
    if (bySample) {
      const sessions: Awaited<ReturnType<typeof open>>[] = [];
      for (const name of names) sessions.push(await open(name));
      for (const command of ['noop', 'flags'] as const) {
        await charged(sessions, command === 'noop' ? 'noop' : 'fetchFlags', samples, async () => {
          for (let index = 0; index < samples; index++) {
            // The order rotates, so no target always follows the same one.
            for (let turn = 0; turn < sessions.length; turn++) {
              const session = sessions[(index + turn) % sessions.length];
              await timed(session.client, command === 'noop' ? 'NOOP' : fetchFlags(index), { round, index }, session[command], session.relay);
            }
          }
        });
      }
      for (const session of sessions) session.client.close();
      continue;
    }
    for (const name of names) {
      const session = await open(name);
      await charged([session], 'noop', samples, async () => {
        for (let index = 0; index < samples; index++) await timed(session.client, 'NOOP', { round, index }, session.noop, session.relay);
      });
      await charged([session], 'fetchFlags', samples, async () => {
        for (let index = 0; index < samples; index++) await timed(session.client, fetchFlags(index), { round, index }, session.flags, session.relay);
      });
      session.client.close();
    }
  }
} finally {
  for (const guard of Object.values(guards)) await guard.stop();
  socat.stop();
  await dovecot.stop();
}

const gcPauses = gcLog ? readGcLog(gcLog) : new Map<number, { t: number; d: number }[]>();
if (gcLog) rmSync(gcLog, { recursive: true, force: true });

const of = (name: string, command: 'noop' | 'fetchFlags') => series.filter((entry) => entry.target === name && entry.command === command).flatMap((entry) => entry.samples);
const summary = (command: 'noop' | 'fetchFlags') =>
  Object.fromEntries(
    names.map((name) => {
      const ms = of(name, command).map((sample) => sample.ms);
      const socatMs = of('socat', command).map((sample) => sample.ms);
      return [
        name,
        {
          p50ms: round3(percentile(ms, 50)),
          p90ms: round3(percentile(ms, 90)),
          p99ms: round3(percentile(ms, 99)),
          maxms: round3(Math.max(...ms)),
          ...(name in guards ? { addedOverSocat: { p50ms: round3(percentile(ms, 50) - percentile(socatMs, 50)), p99ms: round3(percentile(ms, 99) - percentile(socatMs, 99)) } } : {}),
          ...(tail ? { tail: tailOf(name, of(name, command), relayUse[name]?.[command]) } : {}),
        },
      ];
    }),
  );

console.log(
  JSON.stringify(
    {
      benchmark: `small-command round trip, ms (one connection each; ${bySample ? 'targets taking turns sample by sample' : 'interleaved rounds'}); target added over socat p50 ≤0.2, p99 ≤1`,
      samplesPerRound: samples,
      rounds,
      afterBulk,
      bySample,
      gapMs,
      noop: summary('noop'),
      fetchFlags: summary('fetchFlags'),
      ...(baseline ? { baselineBuildPath: baseline } : {}),
      ...(slowest > 0 ? { slowest: slowestSamples() } : {}),
      ...machine(),
    },
    null,
    2,
  ),
);
if (samplesOut) writeFileSync(samplesOut, JSON.stringify(series));

/** Where the slow samples' time went: GC pauses of the proxy they overlap, and waits for a CPU. */
function tailOf(name: string, list: Sample[], use: { cpuNs: number; preempted: number; commands: number } | undefined) {
  const slow = list.filter((sample) => sample.ms > SLOW_MS);
  const pauses = name in guards ? (gcPauses.get(guards[name].pid) ?? []) : undefined;
  const overlapsGc = (sample: Sample) => pauses?.some((pause) => pause.t < sample.at + sample.ms && pause.t + pause.d > sample.at) ?? false;
  const mean = (values: number[]) => round3(values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length));
  return {
    [`samplesOver${SLOW_MS}ms`]: slow.length,
    ...(pauses ? { overlappingProxyGc: slow.filter(overlapsGc).length, allSamplesOverlappingProxyGc: list.filter(overlapsGc).length } : {}),
    [`relayWaitedOver${WAITED_MS}ms`]: slow.filter((sample) => (sample.relayWaitMs ?? 0) > WAITED_MS).length,
    [`clientWaitedOver${WAITED_MS}ms`]: slow.filter((sample) => (sample.clientWaitMs ?? 0) > WAITED_MS).length,
    meanRelayWaitMs: mean(list.map((sample) => sample.relayWaitMs ?? 0)),
    ...(use && use.commands > 0 ? { relayCpuMicrosPerCommand: Math.round(use.cpuNs / use.commands / 1000), relayPreemptionsPer1000Commands: Math.round((use.preempted / use.commands) * 1000) } : {}),
    slowMsWaitingForCpu: `${Math.round(slow.reduce((sum, sample) => sum + Math.min(sample.ms, (sample.relayWaitMs ?? 0) + (sample.clientWaitMs ?? 0)), 0))} of ${Math.round(slow.reduce((sum, sample) => sum + sample.ms, 0))}`,
  };
}

function readGcLog(dir: string): Map<number, { t: number; d: number }[]> {
  const pauses = new Map<number, { t: number; d: number }[]>();
  for (const file of readdirSync(dir)) {
    const pid = Number(/^gc-(\d+)\.jsonl$/.exec(file)?.[1]);
    if (!pid) continue;
    const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
    pauses.set(pid, lines.map((line) => JSON.parse(line) as { t: number; d: number }));
  }
  return pauses;
}

function slowestSamples(): Record<string, Record<string, string[]>> {
  const result: Record<string, Record<string, string[]>> = {};
  for (const { target, command, samples: list } of series) {
    const first = list[0]?.at ?? 0;
    const top = [...list].sort((a, b) => b.ms - a.ms).slice(0, slowest);
    ((result[target] ??= {})[command] ??= []).push(...top.map((sample) => `r${sample.round}#${sample.index} ${round3(sample.ms)}ms @${Math.round(sample.at - first)}ms`));
  }
  return result;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
