// CPU the proxy spends per short IMAPS session (TLS both legs, LOGIN, SELECT, LOGOUT), as imaptest and
// mail clients open them all the time, for this build and `--baseline OTHER/dist/cli/main.js`
// alternating round by round in one run: all the proxy's threads (process-cpu.ts), which depends far
// less on a busy machine than wall time, with the pass-through (scanning off: no protocol engine) beside.
// Prints JSON: median CPU microseconds per session per build.
// Usage: npm run build && node --import tsx scripts/bench/connection-cost.ts [--rounds N] [--sessions N]
//        [--baseline OTHER/dist/cli/main.js]
import { machine } from './machine.js';
import { shortSession, startShortSessionProxies } from './short-sessions.js';
import { cpuNanoseconds } from './process-cpu.js';
import { requireBuild } from './require-build.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const rounds = Number(argument('--rounds', '5'));
const sessions = Number(argument('--sessions', '60'));
const baseline = argument('--baseline', '');

requireBuild();

const { guards, stop } = await startShortSessionProxies(baseline);
try {
  for (const guard of Object.values(guards)) for (let index = 0; index < 10; index++) await shortSession(guard);

  const perRound = new Map<string, number[]>(Object.keys(guards).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? Object.entries(guards) : Object.entries(guards).reverse();
    for (const [name, guard] of order) {
      const before = cpuNanoseconds(guard.pid);
      for (let index = 0; index < sessions; index++) await shortSession(guard);
      perRound.get(name)!.push(Math.round((cpuNanoseconds(guard.pid) - before) / sessions / 1000));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const result: Record<string, unknown> = { benchmark: `CPU per short IMAPS session (LOGIN, SELECT, LOGOUT), ${sessions} sessions x ${rounds} rounds` };
  for (const [name, values] of perRound) result[name] = { cpuMicrosPerSession: median(values), rounds: values };
  if (baseline) result.ratio = Math.round((median(perRound.get('thisBuild')!) / median(perRound.get('baselineBuild')!)) * 100) / 100;
  console.log(JSON.stringify({ ...result, ...(baseline ? { baselineBuildPath: baseline } : {}), ...machine() }, null, 2));
} finally {
  await stop();
}
