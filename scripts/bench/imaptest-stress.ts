// Dovecot's imaptest stress run (random commands with state tracking, clients logging in and out all
// the time) direct to Dovecot and through inboxguard (compiled, its own process), without and with an
// application exclusion configured and with scanning off (enabled: false), for 10 and 100 clients, back
// to back. Prints JSON: command rate, ratio to direct, imaptest errors, and for inboxguard how many
// client-program lookups ran out of time.
// Before the measured runs, every target gets one warm-up run (10 clients, WARM_UP_SECS): a proxy's scan
// workers start with its first message bodies (about 1 s of CPU each, module loading and compiling) and
// then stay for 5 minutes, so the measured runs see a proxy that has been scanning, as a running one
// does. The warm-up's own rates are printed too (`warmUp`: the cold start).
// Needs imaptest: ../shared/tools/imaptest/build.sh (TEST-INFRA.md), or IMAPTEST=/path/to/imaptest.
// Usage: npm run build && node --import tsx scripts/bench/imaptest-stress.ts [--secs N] [--clients 10,100]
//        [--baseline OTHER/dist/cli/main.js]  (adds that build, same two configs)
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import tls from 'node:tls';
import { join } from 'node:path';
import { startDovecot } from '../test-servers/dovecot.js';
import { MAIL_GID, MAIL_UID } from '../test-servers/dovecot-config.js';
import { startInboxguard, type InboxguardProcess } from './inboxguard-process.js';
import { machine } from './machine.js';
import { requireBuild } from './require-build.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const secs = Number(argument('--secs', '5'));
const clientCounts = argument('--clients', '10,100').split(',').map(Number);
const baseline = argument('--baseline', '');
const imaptest = process.env.IMAPTEST ?? '/tmp/imaptest-cache/imaptest';
const WARM_UP_SECS = 3;

requireBuild();
if (!existsSync(imaptest)) {
  console.error(`bench: no imaptest at ${imaptest}; build it with ../shared/tools/imaptest/build.sh or set IMAPTEST`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'imaptest-bench-'));
chmodSync(work, 0o755); // the mail user must reach the homes below it
const homes = join(work, 'home');
mkdirSync(homes);
chownSync(homes, MAIL_UID, MAIL_GID);
// imaptest needs a Message-ID on every message of its mbox.
const mboxPath = join(work, 'stress.mbox');
writeFileSync(
  mboxPath,
  Array.from(
    { length: 40 },
    (_, i) => `From sender@example.com Mon Dec  7 01:00:00 2026\nFrom: a@example.com\nTo: b@example.com\nSubject: stress ${i}\nMessage-ID: <stress-${i}@bench.invalid>\nDate: Mon, 7 Dec 2026 01:00:00 +0000\n\nbody ${i}\n${'x'.repeat(100 + i * 40)}\n\n`,
  ).join(''),
);

// TEST-INFRA.md: any user name logs in with "pass", one home per user; ids and URLAUTH work.
const dovecot = await startDovecot({
  extraConfig: `passdb {\n  driver = static\n  args = password=pass\n}\nuserdb {\n  driver = static\n  args = uid=${MAIL_UID} gid=${MAIL_GID} home=${homes}/%u\n}\nmail_attribute_dict = file:%h/dovecot-attributes\nimap_urlauth_host = *\n`,
});
const EXCLUSION = 'exclusions:\n  applications: [thunderbird]\n';
const upstream = `localhost:${dovecot.ports.imaps}`;
const guards: Record<string, InboxguardProcess> = {
  inboxguard: await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap']),
  inboxguardExclusion: await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { config: EXCLUSION }),
  // The relay alone, for the cost of scanning itself.
  inboxguardScanningOff: await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { config: 'enabled: false\n' }),
};
if (baseline) {
  guards.baselineBuild = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { main: baseline });
  guards.baselineBuildExclusion = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { config: EXCLUSION, main: baseline });
}
const ports: Record<string, number> = { direct: dovecot.ports.imaps, ...Object.fromEntries(Object.entries(guards).map(([name, guard]) => [name, guard.port])) };

interface Run {
  commands: number;
  perSecond: number;
  errors: number;
  firstErrors: string[];
}

function runImaptest(port: number, user: string, clients: number, runSecs = secs): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(imaptest, ['host=127.0.0.1', `port=${port}`, 'ssl=any-cert', `user=${user}`, 'pass=pass', `mbox=${mboxPath}`, `clients=${clients}`, `secs=${runSecs}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', () => {
      const totals = output.slice(output.lastIndexOf('Totals:'));
      const counts = totals.split('\n').find((line) => /^\s*\d+(\s+\d+)+\s*$/.test(line));
      if (!counts) return reject(new Error(`imaptest printed no totals:\n${output.slice(-2000)}`));
      const commands = counts.trim().split(/\s+/).map(Number).reduce((sum, n) => sum + n, 0);
      const errors = output.split('\n').filter((line) => /^Error:/.test(line));
      resolve({ commands, perSecond: Math.round(commands / runSecs), errors: errors.length, firstErrors: errors.slice(0, 3) });
    });
  });
}

/** "connection relayed" lines so far, and those whose client-program lookup ran out of time. */
function lookupCounts(guard: InboxguardProcess): { connections: number; lookupTimeouts: number } {
  const lines = existsSync(guard.logPath) ? readFileSync(guard.logPath, 'utf8').split('\n').filter((line) => line.includes('"connection relayed"')) : [];
  // "lookup still running …" (this build) / "lookup took longer than …" (builds before it)
  return { connections: lines.length, lookupTimeouts: lines.filter((line) => /"applicationUnknown":"lookup (still running|took longer)/.test(line)).length };
}

/** One connection up to the greeting: a fresh data dir mints its leaf certificate on the first one. */
function warm(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' });
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

const results: Record<string, Record<string, unknown>> = {};
try {
  for (const port of Object.values(ports)) await warm(port);
  const warmUp: Record<string, { commandsPerSecond: number; imaptestErrors: number }> = {};
  for (const [name, port] of Object.entries(ports)) {
    const run = await runImaptest(port, `u-${name}-warm-up`, 10, WARM_UP_SECS);
    warmUp[name] = { commandsPerSecond: run.perSecond, imaptestErrors: run.errors };
  }
  results.warmUp = warmUp;
  for (const clients of clientCounts) {
    const row: Record<string, unknown> = {};
    let direct = 0;
    for (const [name, port] of Object.entries(ports)) {
      const guard = guards[name];
      const before = guard ? lookupCounts(guard) : undefined;
      const run = await runImaptest(port, `u-${name}-${clients}`, clients);
      if (name === 'direct') direct = run.perSecond;
      const after = guard ? lookupCounts(guard) : undefined;
      row[name] = {
        commandsPerSecond: run.perSecond,
        ...(name === 'direct' ? {} : { vsDirect: Math.round((run.perSecond / direct) * 100) / 100 }),
        imaptestErrors: run.errors,
        ...(run.firstErrors.length ? { firstErrors: run.firstErrors } : {}),
        ...(before && after ? { connections: after.connections - before.connections, lookupTimeouts: after.lookupTimeouts - before.lookupTimeouts } : {}),
      };
    }
    results[`clients${clients}`] = row;
  }
  console.log(
    JSON.stringify(
      {
        benchmark: `imaptest stress (${secs} s per run, back to back, after a ${WARM_UP_SECS} s warm-up run per target), IMAPS; exclusion configured: ${EXCLUSION.trim().replace(/\s+/g, ' ')}`,
        ...results,
        ...(baseline ? { baselineBuildPath: baseline } : {}),
        ...machine(),
      },
      null,
      2,
    ),
  );
} finally {
  for (const guard of Object.values(guards)) await guard.stop();
  await dovecot.stop();
  rmSync(work, { recursive: true, force: true });
}
