// Memory of idle sessions: N authenticated IMAPS sessions (LOGIN, SELECT INBOX, IDLE) held open
// through inboxguard (compiled, its own process, fresh per scenario) with scanning on and with
// scanning off (`enabled: false`: the plain pipe relay), through a bare node:tls relay (node-tls-relay.ts:
// what Node's TLS alone holds per connection, with the proxy's node flags) and through a socat TLS relay
// for reference, one scenario after the other. Prints JSON: the proxy's RSS before the sessions, steady
// (all sessions idling, after a settle pause) and peak (VmHWM), and KiB per session.
// socat forks one process per connection, so its figure is the PSS summed over its process tree.
// Usage: npm run build && node --import tsx scripts/bench/idle-sessions.ts [--sessions N] [--parallel N]
//        [--settle-ms N] [--baseline OTHER/dist/cli/main.js]  (adds that build, scanning on and off)
import { readFileSync } from 'node:fs';
import { startDovecot } from '../test-servers/dovecot.js';
import { freePorts } from '../test-servers/free-ports.js';
import { mixedMailbox } from '../../test/helpers/messages.js';
import { LeanImapClient, type ImapTarget } from './imap-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { startSocatRelay } from './socat-relay.js';
import { startNodeTlsRelay } from './node-tls-relay.js';
import { machine } from './machine.js';
import { requireBuild } from './require-build.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const sessions = Number(argument('--sessions', '1000'));
const parallel = Number(argument('--parallel', '25'));
const settleMs = Number(argument('--settle-ms', '3000'));
const baseline = argument('--baseline', '');

requireBuild();

const KiB = 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** kB fields of /proc/PID/status or smaps_rollup. */
function procKiB(path: string, field: string): number {
  try {
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(path, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // the process has just exited
  }
}

function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return [pid, ...children.flatMap(processTree)];
}

/** Opens `count` idling sessions, `parallel` at a time. */
async function openIdleSessions(target: ImapTarget, count: number): Promise<LeanImapClient[]> {
  const clients: LeanImapClient[] = [];
  try {
    while (clients.length < count) {
      const batch = Math.min(parallel, count - clients.length);
      const opened = await Promise.all(
        Array.from({ length: batch }, async () => {
          const client = await LeanImapClient.connect(target, 'alice', 'secret');
          await client.idle();
          return client;
        }),
      );
      clients.push(...opened);
    }
  } catch (error) {
    for (const client of clients) client.close();
    throw new Error(`after ${clients.length} sessions: ${(error as Error).message}`);
  }
  return clients;
}

interface Measured {
  beforeRssMiB: number;
  steadyRssMiB: number;
  peakRssMiB: number;
  perSessionKiB: number;
}

/** Holds the sessions open while measuring; `rss` gives [current, peak] KiB. */
async function measure(target: ImapTarget, rss: () => [number, number]): Promise<Measured> {
  const [before] = rss();
  const clients = await openIdleSessions(target, sessions);
  await sleep(settleMs);
  const [steady, peak] = rss();
  for (const client of clients) client.close();
  await sleep(1000); // let Dovecot's mail processes go before the next scenario
  return {
    beforeRssMiB: round1(before / KiB),
    steadyRssMiB: round1(steady / KiB),
    peakRssMiB: round1(peak / KiB),
    perSessionKiB: round1((steady - before) / sessions),
  };
}

async function inboxguardScenario(scanning: boolean, main?: string): Promise<Measured> {
  const guard = await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap'], {
    ...(scanning ? {} : { config: 'enabled: false\n' }),
    ...(main ? { main } : {}),
  });
  try {
    const status = `/proc/${guard.pid}/status`;
    return await measure({ port: guard.port, ca: guard.caPem }, () => [procKiB(status, 'VmRSS'), procKiB(status, 'VmHWM')]);
  } finally {
    await guard.stop();
  }
}

const dovecot = await startDovecot({ maxSessions: 2 * sessions, messages: { alice: mixedMailbox(6) } });
const [socatPort] = await freePorts(1);
const socat = await startSocatRelay({ certPath: dovecot.pki.certPath, keyPath: dovecot.pki.keyPath, caPath: dovecot.caPath, listenPort: socatPort, upstreamPort: dovecot.ports.imaps });
try {
  const results: Record<string, Measured> = {
    inboxguard: await inboxguardScenario(true),
    inboxguardScanningOff: await inboxguardScenario(false),
  };
  if (baseline) {
    results.baselineBuild = await inboxguardScenario(true, baseline);
    results.baselineBuildScanningOff = await inboxguardScenario(false, baseline);
  }
  const nodeRelay = await startNodeTlsRelay({ certPath: dovecot.pki.certPath, keyPath: dovecot.pki.keyPath, caPath: dovecot.caPath, upstreamPort: dovecot.ports.imaps });
  try {
    const status = `/proc/${nodeRelay.pid}/status`;
    results.nodeTlsRelay = await measure({ port: nodeRelay.port, ca: dovecot.caPem }, () => [procKiB(status, 'VmRSS'), procKiB(status, 'VmHWM')]);
  } finally {
    nodeRelay.stop();
  }
  const socatPss = () => processTree(socat.pid).reduce((sum, pid) => sum + procKiB(`/proc/${pid}/smaps_rollup`, 'Pss'), 0);
  const socatResult = await measure({ port: socatPort, ca: dovecot.caPem }, () => [socatPss(), Number.NaN]);
  console.log(
    JSON.stringify(
      {
        benchmark: 'RSS of N idle IMAPS sessions (LOGIN, SELECT INBOX, IDLE), MiB; target ≤150 MiB peak for 1,000',
        sessions,
        settleMs,
        ...results,
        socat: { beforePssMiB: socatResult.beforeRssMiB, steadyPssMiB: socatResult.steadyRssMiB, perSessionKiB: socatResult.perSessionKiB },
        ...(baseline ? { baselineBuildPath: baseline } : {}),
        ...machine(),
      },
      null,
      2,
    ),
  );
} finally {
  socat.stop();
  await dovecot.stop();
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
