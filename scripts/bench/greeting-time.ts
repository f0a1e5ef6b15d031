// Time from connect to the server's greeting, TLS handshake included, for a new IMAPS connection:
// direct to Dovecot, through a socat TLS relay, and through inboxguard (compiled, its own process)
// without and with an application exclusion configured (the exclusion makes it look the client
// program up; this bench's node process is the client and is not excluded). Sequential connections
// and 20 opened at once, interleaved round by round. Prints JSON.
// Usage: npm run build && node --import tsx scripts/bench/greeting-time.ts [--rounds N] [--sequential N]
//        [--concurrent N] [--baseline OTHER/dist/cli/main.js]  (adds that build, same two configs)
import tls from 'node:tls';
import { startDovecot } from '../test-servers/dovecot.js';
import { freePorts } from '../test-servers/free-ports.js';
import { startInboxguard, type InboxguardProcess } from './inboxguard-process.js';
import { median } from './mailbox.js';
import { startSocatRelay } from './socat-relay.js';
import { machine } from './machine.js';
import { requireBuild } from './require-build.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const rounds = Number(argument('--rounds', '2'));
const sequential = Number(argument('--sequential', '10'));
const concurrent = Number(argument('--concurrent', '20'));
const baseline = argument('--baseline', '');

requireBuild();

interface Target {
  port: number;
  ca: string;
}

/** ms from connect to the end of the greeting line. */
function greetingTime(target: Target): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: target.port, ca: target.ca, servername: 'localhost' });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!text.includes('\r\n')) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      socket.destroy();
      if (text.startsWith('* OK')) resolve(ms);
      else reject(new Error(`unexpected greeting: ${text.slice(0, 200)}`));
    });
    socket.on('error', reject);
  });
}

const EXCLUSION = 'exclusions:\n  applications: [thunderbird]\n';
const dovecot = await startDovecot();
const [socatPort] = await freePorts(1);
const socat = await startSocatRelay({ certPath: dovecot.pki.certPath, keyPath: dovecot.pki.keyPath, caPath: dovecot.caPath, listenPort: socatPort, upstreamPort: dovecot.ports.imaps });
const upstream = `localhost:${dovecot.ports.imaps}`;
const guards: Record<string, InboxguardProcess> = {
  inboxguard: await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap']),
  inboxguardExclusion: await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { config: EXCLUSION }),
};
if (baseline) {
  guards.baselineBuild = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { main: baseline });
  guards.baselineBuildExclusion = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { config: EXCLUSION, main: baseline });
}
const targets: Record<string, Target> = {
  direct: { port: dovecot.ports.imaps, ca: dovecot.caPem },
  socat: { port: socatPort, ca: dovecot.caPem },
  ...Object.fromEntries(Object.entries(guards).map(([name, guard]) => [name, { port: guard.port, ca: guard.caPem }])),
};
const names = Object.keys(targets);

const seq: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
const each: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
const batch: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
try {
  for (const name of names) await greetingTime(targets[name]); // leaf certificates minted, processes warm
  for (let round = 0; round < rounds; round++) {
    for (const name of names) for (let i = 0; i < sequential; i++) seq[name].push(await greetingTime(targets[name]));
    for (const name of names) {
      const started = process.hrtime.bigint();
      each[name].push(...(await Promise.all(Array.from({ length: concurrent }, () => greetingTime(targets[name])))));
      batch[name].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const ratio = (series: Record<string, number[]>, name: string) => round2(median(series[name]) / median(series.socat));
  const summary = (name: string) => ({
    sequentialMedianMs: round2(median(seq[name])),
    concurrentMedianMs: round2(median(each[name])),
    concurrentMaxMs: round2(Math.max(...each[name])),
    concurrentBatchMedianMs: round2(median(batch[name])),
    ...(name === 'direct' || name === 'socat'
      ? {}
      : { vsSocat: { sequential: ratio(seq, name), concurrentPerConnection: ratio(each, name), concurrentBatch: ratio(batch, name) } }),
  });
  console.log(
    JSON.stringify(
      {
        benchmark: 'connect → IMAP greeting over implicit TLS, ms (median; interleaved rounds)',
        rounds,
        sequentialPerRound: sequential,
        concurrentPerRound: concurrent,
        exclusionConfigured: EXCLUSION.trim().replace(/\s+/g, ' '),
        ...Object.fromEntries(names.map((name) => [name, summary(name)])),
        ...(baseline ? { baselineBuildPath: baseline } : {}),
        ...machine(),
      },
      null,
      2,
    ),
  );
} finally {
  for (const guard of Object.values(guards)) await guard.stop();
  socat.stop();
  await dovecot.stop();
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
