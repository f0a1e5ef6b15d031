// What the session core and the IMAP engine cost per small command and per short session, without
// sockets or TLS (those are the same with scanning off): CPU microseconds per NOOP and per UID FETCH
// (FLAGS) round trip, per session (greeting, LOGIN, SELECT, LOGOUT), and heap bytes an idling session
// holds, and heap bytes allocated per NOOP / UID FETCH (FLAGS) round trip (V8's sampling heap profiler,
// objects a scavenge already collected included: the garbage that makes the scavenges). The builds given
// with --mains (compiled dist directories) alternate round by round in this one process, so a busy
// machine weighs on all of them alike; CPU time, not wall time.
// Usage: npm run build && node --import tsx scripts/bench/engine-command-cost.ts [--mains dist,OTHER/dist] [--rounds 11]
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { machine } from './machine.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const mains = argument('--mains', 'dist').split(',');
const rounds = Number(argument('--rounds', '11'));
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// The modules of one build, loaded from its dist directory (the types are this checkout's).
interface Build {
  name: string;
  SessionCore: typeof import('../../src/protocol/session-core.js').SessionCore;
  ProcessMemory: typeof import('../../src/protocol/memory-budget.js').ProcessMemory;
  ImapEngine: typeof import('../../src/imap/engine.js').ImapEngine;
  defaults: typeof import('../../src/protocol/engine.js').defaultEngineOptions;
}

async function load(dist: string): Promise<Build> {
  const from = (path: string) => import(pathToFileURL(resolve(dist, path)).href);
  return {
    name: dist,
    SessionCore: (await from('protocol/session-core.js')).SessionCore,
    ProcessMemory: (await from('protocol/memory-budget.js')).ProcessMemory,
    ImapEngine: (await from('imap/engine.js')).ImapEngine,
    defaults: (await from('protocol/engine.js')).defaultEngineOptions,
  };
}

const unlimited = Number.POSITIVE_INFINITY;
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const client = { write() {}, writeSource() {}, whenIdle: () => Promise.resolve(), pendingBytes: 0, busy: false };
const server = { write() {}, commit() {}, stop() {}, pendingBytes: 0 };
const legs = { setReading() {}, endServer() {}, abortServer() {}, endClient() {} };
const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

function selectedSession(build: Build) {
  const core = new build.SessionCore({
    engine: new build.ImapEngine({ ...build.defaults }),
    client,
    server,
    legs,
    scanner: { scan() {} },
    openSpool: () => {
      throw new Error('no bodies in this benchmark');
    },
    memory: new build.ProcessMemory(unlimited).openSession({ sessionBytes: unlimited, diskWriteWindowBytes: unlimited, scansWaiting: unlimited }),
    timers: { after: () => ({ cancel() {} }) },
    clock: Date.now,
    encoders: {},
    log: silent,
    onEnd() {},
  });
  core.start(Buffer.from('* OK [CAPABILITY IMAP4rev1 IDLE LITERAL+] ready\r\n'), Buffer.alloc(0));
  core.fromClient(Buffer.from('a1 LOGIN alice secret\r\n'));
  core.fromServer(Buffer.from('a1 OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS MOVE] Logged in\r\n'));
  core.fromClient(Buffer.from('a2 SELECT INBOX\r\n'));
  core.fromServer(Buffer.from('* 20 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1700000000] UIDs valid\r\n* OK [UIDNEXT 21] Predicted next UID\r\na2 OK [READ-WRITE] Select completed.\r\n'));
  return core;
}

const COMMANDS = 20_000;
const noop = Array.from({ length: COMMANDS }, (_, i) => [Buffer.from(`n${i} NOOP\r\n`), Buffer.from(`n${i} OK NOOP completed (0.001 + 0.000 secs).\r\n`)]);
const flags = Array.from({ length: COMMANDS }, (_, i) => [
  Buffer.from(`f${i} UID FETCH ${(i % 20) + 1} (FLAGS)\r\n`),
  Buffer.from(`* ${(i % 20) + 1} FETCH (UID ${(i % 20) + 1} FLAGS (\\Seen))\r\nf${i} OK Fetch completed (0.001 + 0.000 secs).\r\n`),
]);

function perCommand(build: Build, pairs: Buffer[][]): number {
  const core = selectedSession(build);
  const started = cpuMicros();
  for (const [command, response] of pairs) {
    core.fromClient(command);
    core.fromServer(response);
  }
  return (cpuMicros() - started) / pairs.length;
}

/** Every node's own sampled bytes, summed (the sampling profile is a call tree). */
function sampledBytes(node: { selfSize: number; children: unknown[] }): number {
  return node.selfSize + node.children.reduce<number>((total, child) => total + sampledBytes(child as typeof node), 0);
}

const inspector = new Session();
inspector.connect();

/** Heap bytes allocated per round trip, garbage included. */
async function allocatedPerCommand(build: Build, pairs: Buffer[][]): Promise<number> {
  const core = selectedSession(build);
  for (const [command, response] of pairs.slice(0, 1000)) {
    core.fromClient(command);
    core.fromServer(response);
  }
  await inspector.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  // Indexed, not destructured: the loop's own iterators would be counted too.
  for (let index = 0; index < pairs.length; index++) {
    core.fromClient(pairs[index][0]);
    core.fromServer(pairs[index][1]);
  }
  const { profile } = await inspector.post('HeapProfiler.stopSampling');
  return Math.round(sampledBytes(profile.head) / pairs.length);
}

function perSession(build: Build, sessions: number): number {
  const started = cpuMicros();
  for (let i = 0; i < sessions; i++) {
    const core = selectedSession(build);
    core.fromClient(Buffer.from('a3 LOGOUT\r\n'));
    core.fromServer(Buffer.from('* BYE Logging out\r\na3 OK Logout completed.\r\n'));
    core.inputEnded('server');
  }
  return (cpuMicros() - started) / sessions;
}

function idleHeapBytes(build: Build, sessions: number): number {
  const kept: unknown[] = [];
  const idle = () => {
    const core = selectedSession(build);
    core.fromClient(Buffer.from('a3 IDLE\r\n'));
    core.fromServer(Buffer.from('+ idling\r\n'));
    kept.push(core);
  };
  for (let i = 0; i < 200; i++) idle();
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < sessions; i++) idle();
  gc();
  gc();
  return Math.round((process.memoryUsage().heapUsed - before) / sessions);
}

const builds = await Promise.all(mains.map(load));
const samples = new Map(builds.map((build) => [build.name, { noop: [] as number[], fetchFlags: [] as number[], session: [] as number[] }]));
for (let round = 0; round < rounds; round++) {
  for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
    const series = samples.get(build.name)!;
    series.noop.push(perCommand(build, noop));
    series.fetchFlags.push(perCommand(build, flags));
    series.session.push(perSession(build, 3000));
  }
}
const median = (values: number[]) => Math.round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] * 100) / 100;
const result: Record<string, unknown> = {
  benchmark: 'session core + IMAP engine, no sockets: CPU µs per NOOP / UID FETCH (FLAGS) round trip and per short session (median of rounds), heap bytes per idling session, heap bytes allocated per round trip',
  rounds,
};
for (const build of builds) {
  const series = samples.get(build.name)!;
  result[build.name] = {
    cpuMicrosPerNoop: median(series.noop),
    cpuMicrosPerFetchFlags: median(series.fetchFlags),
    cpuMicrosPerSession: median(series.session),
    heapBytesPerIdleSession: idleHeapBytes(build, 3000),
    allocatedBytesPerNoop: await allocatedPerCommand(build, noop),
    allocatedBytesPerFetchFlags: await allocatedPerCommand(build, flags),
  };
}
console.log(JSON.stringify({ ...result, ...machine() }, null, 2));
inspector.disconnect();
