// CPU time per thread of the proxy over a bulk IMAP fetch (the 300-message mailbox of relay.ts:
// `UID FETCH 1:* BODY.PEEK[]`, scanning on): the main thread's run time and its run-queue wait (time it
// was ready but another thread had the core: what a --cpu-prof profile on a busy machine shows as time
// inside whatever call was running, e.g. Worker.postMessage), and the run time of every other thread
// (scan workers, libuv). CPU time counts work, so builds compare even on a shared machine, where wall
// times do not. Builds given with --mains are measured alternately in one run, each in a fresh proxy
// after one warm-up fetch (workers started, segment pool filled).
// --protocol pop3: RETR of every message instead; --scanning off: the same builds with `enabled: false`
// (the pass-through), measured beside them, so what scanning adds per thread shows.
// The warm-up reads account alice; each measured IMAP fetch reads another account with the same messages
// (bulk1, bulk2, …), so every message is scanned as new mail is. --refetch: the measured fetches read
// alice's mailbox again instead, whose messages the warm-up found clean (issue #15: not scanned again).
// --perf DIR: also records the proxy with `perf` over the measured fetches (DIR/<build>-<round>.data) and
// reports the main thread's on-CPU time by function group (perf-profile.ts); the sampling costs the
// proxy some CPU too, so compare builds within one such run.
// Usage: npm run build && node --import tsx scripts/bench/bulk-thread-cpu.ts [--mains dist,OTHER/dist] [--rounds 1] [--fetches 2] [--protocol imap|pop3] [--scanning on|off|both] [--refetch] [--perf DIR]
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDovecot } from '../test-servers/dovecot.js';
import { LeanImapClient } from './imap-client.js';
import { retrAll } from './pop3-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { benchMailbox, median, sameMailboxAccounts } from './mailbox.js';
import { machine } from './machine.js';
import { PERF_NODE_FLAGS, recordPerf } from './perf-profile.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const mains = argument('--mains', 'dist').split(',');
const rounds = Number(argument('--rounds', '1'));
const fetches = Number(argument('--fetches', '2'));
const protocol = argument('--protocol', 'imap');
const scanning = argument('--scanning', 'on');
const refetch = process.argv.includes('--refetch');
const perfDir = argument('--perf', '');
if (perfDir) {
  mkdirSync(perfDir, { recursive: true });
  process.env.INBOXGUARD_BENCH_NODE_ARGS = [process.env.INBOXGUARD_BENCH_NODE_ARGS ?? '', ...PERF_NODE_FLAGS].join(' ');
}
if (protocol !== 'imap' && protocol !== 'pop3') throw new Error('--protocol imap|pop3');
const variants = mains.flatMap((build) => [
  ...(scanning === 'off' ? [] : [{ name: build, build, config: undefined }]),
  ...(scanning === 'on' ? [] : [{ name: `${build} (scanning off)`, build, config: 'enabled: false\n' }]),
]);

/** Per thread: [run ns, run-queue wait ns] from /proc/PID/task/TID/schedstat. */
function threadTimes(pid: number): Map<string, [number, number]> {
  const times = new Map<string, [number, number]>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ').map(Number);
      times.set(task, [run, wait]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return times;
}

const ms = (ns: number) => Math.round(ns / 1e6);
const messages = benchMailbox(300);
const bulkUsers = Array.from({ length: fetches }, (_, i) => `bulk${i + 1}`);
const users = ['alice', ...bulkUsers];
const dovecot = await startDovecot(sameMailboxAccounts(users, messages));
const runs: Record<string, { mainRunMs: number[]; mainWaitMs: number[]; otherThreadsRunMs: number[]; wallMs: number[]; mainGroupsMs?: Record<string, number>[] }> = {};
try {
  for (let round = 0; round < rounds; round++) {
    for (const { name: build, build: dir, config } of variants) {
      const upstream = `localhost:${protocol === 'imap' ? dovecot.ports.imaps : dovecot.ports.pop3s}`;
      const guard = await startInboxguard(upstream, dovecot.caPath, ['--protocol', protocol], { main: resolve(dir, 'cli/main.js'), ...(config ? { config } : {}) });
      try {
        const fetchAll = async (user: string) => {
          const target = { port: guard.port, ca: guard.caPem };
          if (protocol === 'pop3') return void (await retrAll(target, user, 'secret', messages.length));
          const client = await LeanImapClient.connect(target, user, 'secret');
          await client.command('UID FETCH 1:* (BODY.PEEK[])');
          client.close();
        };
        await fetchAll('alice');
        const recording = perfDir ? await recordPerf(guard.pid, join(perfDir, `${build.replace(/\W+/g, '_')}-${round}.data`)) : undefined;
        const before = threadTimes(guard.pid);
        const started = process.hrtime.bigint();
        for (let i = 0; i < fetches; i++) await fetchAll(refetch ? 'alice' : bulkUsers[i]);
        const wall = Number(process.hrtime.bigint() - started);
        const after = threadTimes(guard.pid);
        const mainGroups = await recording?.stop();
        const main = String(guard.pid);
        let others = 0;
        for (const [task, [run]] of after) if (task !== main) others += run - (before.get(task)?.[0] ?? 0);
        const [mainRun, mainWait] = after.get(main)!;
        const [mainRunBefore, mainWaitBefore] = before.get(main)!;
        const entry = (runs[build] ??= { mainRunMs: [], mainWaitMs: [], otherThreadsRunMs: [], wallMs: [] });
        entry.mainRunMs.push(ms(mainRun - mainRunBefore));
        entry.mainWaitMs.push(ms(mainWait - mainWaitBefore));
        entry.otherThreadsRunMs.push(ms(others));
        entry.wallMs.push(ms(wall));
        if (mainGroups) (entry.mainGroupsMs ??= []).push(mainGroups);
      } finally {
        await guard.stop();
      }
    }
  }
} finally {
  await dovecot.stop();
}

const builds = Object.fromEntries(
  Object.entries(runs).map(([build, { mainGroupsMs, ...entry }]) => [
    build,
    {
      medianMainRunMs: median(entry.mainRunMs),
      medianOtherThreadsRunMs: median(entry.otherThreadsRunMs),
      ...entry,
      ...(mainGroupsMs ? { medianMainOnCpuMsByGroup: medianByKey(mainGroupsMs) } : {}),
    },
  ]),
);
console.log(JSON.stringify({ benchmark: `proxy CPU per thread over ${fetches} bulk ${protocol === 'imap' ? 'IMAP UID FETCH 1:*' : 'POP3 RETR'} fetches of ${messages.length} messages${refetch ? ', fetched before' : ''}`, protocol, rounds, refetch, builds, ...machine() }, null, 2));

function medianByKey(rows: Record<string, number>[]): Record<string, number> {
  return Object.fromEntries(Object.keys(rows[0]).map((key) => [key, median(rows.map((row) => row[key]))]));
}
