// System calls per short IMAPS session (TLS both legs, LOGIN, SELECT, LOGOUT), counted with
// `strace -c -f` attached to the proxy (all its threads), for this build, the pass-through (scanning
// off: `enabled: false`) and `--baseline OTHER/dist/cli/main.js`. Counts, not times: they do not
// depend on how busy the machine is. Prints JSON: calls per session by system call, per build.
// Usage: npm run build && node --import tsx scripts/bench/session-syscalls.ts [--sessions N]
//        [--baseline OTHER/dist/cli/main.js]
import { machine } from './machine.js';
import { shortSession, startShortSessionProxies } from './short-sessions.js';
import { requireStrace, straceCounts } from './strace-counts.js';
import { requireBuild } from './require-build.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const sessions = Number(argument('--sessions', '100'));
const baseline = argument('--baseline', '');

requireBuild();
requireStrace();

const { guards, stop } = await startShortSessionProxies(baseline);
try {
  const results: Record<string, Record<string, number>> = {};
  for (const [name, guard] of Object.entries(guards)) {
    for (let index = 0; index < 10; index++) await shortSession(guard);
    const calls = await straceCounts(guard.pid, async () => {
      for (let index = 0; index < sessions; index++) await shortSession(guard);
    });
    const perSession = (count: number) => Math.round((count / sessions) * 100) / 100;
    results[name] = Object.fromEntries(Object.entries(calls).filter(([, count]) => count >= sessions / 10).sort(([, a], [, b]) => b - a).map(([syscall, count]) => [syscall, perSession(count)]));
    results[name].allCalls = perSession(Object.values(calls).reduce((sum, count) => sum + count, 0));
  }
  console.log(JSON.stringify({ benchmark: `system calls per short IMAPS session (strace -c -f, ${sessions} sessions)`, ...results, ...(baseline ? { baselineBuildPath: baseline } : {}), ...machine() }, null, 2));
} finally {
  await stop();
}
