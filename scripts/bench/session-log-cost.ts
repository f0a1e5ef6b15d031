// CPU the proxy's logger spends on the lines of one short IMAPS session (six at info: to the log file
// and the console; three at debug: the file only), for this build and `--baseline OTHER/dist` (its
// store/log.js), alternating round by round, each round in a fresh process whose stderr (the console)
// goes to /dev/null as a service's would go to a file. CPU time of the process (user + system), which
// includes the write system calls. Prints JSON: median CPU microseconds per session per build.
// Usage: npm run build && node --import tsx scripts/bench/session-log-cost.ts [--rounds N] [--sessions N]
//        [--baseline OTHER/dist]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine } from './machine.js';
import { requireBuild } from './require-build.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const rounds = Number(argument('--rounds', '5'));
const sessions = Number(argument('--sessions', '5000'));
const baseline = argument('--baseline', '');
const thisDist = fileURLToPath(new URL('../../dist', import.meta.url));

requireBuild('store/log.js');

// What one session logs (session.ts, prelude, session-core), with fields of the usual size.
const child = (logModule: string, dataDir: string) => `
import { createLogger } from ${JSON.stringify(pathToFileURL(logModule).href)};
const root = createLogger({ dataDir: ${JSON.stringify(dataDir)}, console: true });
const session = (id) => {
  const log = root.child({ session: id, listener: 'imaps' });
  log.info({ client: '127.0.0.1:51234', upstream: 'localhost:993' }, 'connection accepted');
  log.info({ tls: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' }, 'upstream TLS established');
  log.debug({ protocol: 'imap' }, 'negotiation finished, relaying');
  log.info({ protocol: 'imaps', upstreamIp: '127.0.0.1', inspection: 'inspected' }, 'connection relayed');
  log.info({ type: 'imap-login', protocol: 'imap', method: 'LOGIN', user: 'alice' }, 'imap-login');
  log.info({ type: 'imap-select', protocol: 'imap', mailbox: 'INBOX', uidValidity: '1733580000', readOnly: false }, 'imap-select');
  log.debug({ reason: 'upstream said BYE' }, 'upstream ended');
  log.debug({ reason: 'LOGOUT' }, 'protocol engine closed the session');
  log.info({ reason: 'client closed the connection', ms: 12, clientBytes: 120, serverBytes: 900 }, 'session closed');
};
for (let i = 0; i < 200; i++) session(i);
const before = process.cpuUsage();
for (let i = 0; i < ${sessions}; i++) session(i);
root.flush();
const used = process.cpuUsage(before);
process.stdout.write(String((used.user + used.system) / ${sessions}));
`;

const builds: Record<string, string> = { thisBuild: join(thisDist, 'store', 'log.js') };
if (baseline) builds.baselineBuild = join(baseline, 'store', 'log.js');
const perRound = new Map<string, number[]>(Object.keys(builds).map((name) => [name, []]));
const dir = mkdtempSync(join(tmpdir(), 'ig-log-cost-'));
try {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? Object.entries(builds) : Object.entries(builds).reverse();
    for (const [name, module] of order) {
      const dataDir = join(dir, `${name}-${round}`);
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', child(module, dataDir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      if (run.status !== 0) throw new Error(`${name}: the logging process failed (${run.status})`);
      perRound.get(name)!.push(Math.round(Number(run.stdout)));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const result: Record<string, unknown> = { benchmark: `logger CPU per short session (6 info + 3 debug lines, console to /dev/null), ${sessions} sessions x ${rounds} rounds` };
for (const [name, values] of perRound) result[name] = { cpuMicrosPerSession: median(values), rounds: values };
if (baseline) result.ratio = Math.round((median(perRound.get('thisBuild')!) / median(perRound.get('baselineBuild')!)) * 100) / 100;
console.log(JSON.stringify({ ...result, ...(baseline ? { baselineBuildPath: baseline } : {}), ...machine() }, null, 2));
