// The memory floor: resident memory of a proxy after start-up with no session, per build given with
// --mains (alternately, --rounds times each, a fresh data dir per start, with the bin's node flags),
// split by what holds it (from /proc/PID/smaps): the node binary and shared libraries (file pages),
// V8 heap pages, the main thread's malloc heap (brk), glibc's per-thread malloc arenas, the rest.
// A second start on the same data dir (CA and leaf key already on disk: no key generation) is
// measured too, since that is what a user's proxy does after its first start.
// Usage: npm run build && node --import tsx scripts/bench/start-floor.ts [--mains dist,OTHER/dist] [--rounds 3] [--settle-ms 1500]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { shebangFlags } from './inboxguard-process.js';
import { machine } from './machine.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const mains = argument('--mains', 'dist').split(',');
const rounds = Number(argument('--rounds', '3'));
const settleMs = Number(argument('--settle-ms', '1500'));
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const round1 = (value: number) => Math.round(value * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const ARENA_KIB = 64 * 1024;
type Holders = Record<'rss' | 'fileMapped' | 'v8Pages' | 'mallocBrk' | 'threadArenas' | 'otherAnonymous', number>;

interface Vma {
  start: number;
  end: number;
  perms: string;
  name: string;
  rssKiB: number;
}

/** MiB of the process's resident memory per holder, from its smaps. */
function holders(pid: number): Holders {
  const vmas: Vma[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) vmas.push({ start: parseInt(head[1], 16), end: parseInt(head[2], 16), perms: head[3], name: head[4], rssKiB: 0 });
    else if (line.startsWith('Rss:') && vmas.length > 0) vmas[vmas.length - 1].rssKiB = Number(line.split(/\s+/)[1]);
  }
  const kib: Holders = { rss: 0, fileMapped: 0, v8Pages: 0, mallocBrk: 0, threadArenas: 0, otherAnonymous: 0 };
  vmas.forEach((vma, index) => {
    kib.rss += vma.rssKiB;
    const next = vmas[index + 1];
    if (vma.name.startsWith('/')) kib.fileMapped += vma.rssKiB;
    else if (vma.name === '[heap]') kib.mallocBrk += vma.rssKiB;
    // A glibc arena reserves 64 MiB: the part in use (rw-p) followed by the rest (---p).
    else if (vma.name === '' && next?.perms === '---p' && next.start === vma.end && (next.end - vma.start) / 1024 === ARENA_KIB) kib.threadArenas += vma.rssKiB;
    else if (vma.name === '' && (vma.end - vma.start) / 1024 === 256) kib.v8Pages += vma.rssKiB;
    else kib.otherAnonymous += vma.rssKiB;
  });
  return Object.fromEntries(Object.entries(kib).map(([key, value]) => [key, round1(value / 1024)])) as Holders;
}

/** Starts the proxy on `home` (no upstream is contacted until a client connects), measures, stops it. */
async function floorOf(main: string, home: string): Promise<Holders> {
  const child = spawn(process.execPath, [...shebangFlags(main), main, 'start', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:993', '--protocol', 'imap'], {
    env: { ...process.env, INBOXGUARD_HOME: home },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  await new Promise<void>((started, failed) => {
    const timer = setTimeout(() => failed(new Error(`inboxguard did not start: ${stdout}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.includes('Stop with Ctrl-C')) {
        clearTimeout(timer);
        started();
      }
    });
    child.once('exit', (code) => failed(new Error(`inboxguard exited with ${code}: ${stdout}`)));
  });
  await sleep(settleMs);
  const measured = holders(child.pid as number);
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
  return measured;
}

const samples = new Map<string, { first: Holders[]; again: Holders[] }>(mains.map((main) => [main, { first: [], again: [] }]));
for (let round = 0; round < rounds; round++) {
  for (const build of mains) {
    const home = mkdtempSync(join(tmpdir(), 'inboxguard-floor-'));
    try {
      const main = resolve(build, 'cli', 'main.js');
      samples.get(build)?.first.push(await floorOf(main, home));
      samples.get(build)?.again.push(await floorOf(main, home));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
}

const medians = (list: Holders[]) => Object.fromEntries(Object.keys(list[0]).map((key) => [key, median(list.map((sample) => sample[key as keyof Holders]))]));
const results = Object.fromEntries([...samples].map(([build, { first, again }]) => [build, { firstStart: medians(first), secondStart: medians(again), firstStartRss: first.map((sample) => sample.rss) }]));
console.log(JSON.stringify({ benchmark: 'resident memory after start-up, no session (MiB, medians)', rounds, results, ...machine() }, null, 2));
