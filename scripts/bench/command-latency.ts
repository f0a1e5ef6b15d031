// Round-trip time of small commands (NOOP, UID FETCH n (FLAGS)) on one connection, direct to Dovecot,
// through socat and through inboxguard (compiled, its own process), interleaved round by round; with
// --after-bulk each connection first fetches the whole mailbox, so the proxy's heap holds what a bulk
// fetch leaves behind. Prints JSON: p50/p90/p99/max and what inboxguard adds over socat, scanning on and off.
// Usage: npm run build && node --import tsx scripts/bench/command-latency.ts [--samples N] [--rounds N]
//        [--after-bulk] [--baseline OTHER/dist/cli/main.js]  (adds that build)
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

requireBuild();

const messages = benchMailbox(afterBulk ? 60 : 20);
const dovecot = await startDovecot({ messages: { alice: messages } });
const [socatPort] = await freePorts(1);
const socat = await startSocatRelay({ certPath: dovecot.pki.certPath, keyPath: dovecot.pki.keyPath, caPath: dovecot.caPath, listenPort: socatPort, upstreamPort: dovecot.ports.imaps });
const upstream = `localhost:${dovecot.ports.imaps}`;
const guards: Record<string, InboxguardProcess> = {
  inboxguard: await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap']),
  // Pass-through (`enabled: false`): the same TLS legs without the protocol engine.
  inboxguardScanningOff: await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { config: 'enabled: false\n' }),
};
if (baseline) guards.baselineBuild = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { main: baseline });
const targets: Record<string, ImapTarget> = {
  direct: { port: dovecot.ports.imaps, ca: dovecot.caPem },
  socat: { port: socatPort, ca: dovecot.caPem },
  ...Object.fromEntries(Object.entries(guards).map(([name, guard]) => [name, { port: guard.port, ca: guard.caPem }])),
};
const names = Object.keys(targets);

async function timed(client: LeanImapClient, command: string): Promise<number> {
  const started = process.hrtime.bigint();
  await client.command(command);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const noop: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
const flags: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const client = await LeanImapClient.connect(targets[name], 'alice', 'secret');
      if (afterBulk) await client.command('UID FETCH 1:* (BODY.PEEK[])');
      for (let index = 0; index < samples; index++) noop[name].push(await timed(client, 'NOOP'));
      for (let index = 0; index < samples; index++) flags[name].push(await timed(client, `UID FETCH ${(index % messages.length) + 1} (FLAGS)`));
      client.close();
    }
  }
  const summary = (series: Record<string, number[]>) =>
    Object.fromEntries(
      names.map((name) => [
        name,
        {
          p50ms: round3(percentile(series[name], 50)),
          p90ms: round3(percentile(series[name], 90)),
          p99ms: round3(percentile(series[name], 99)),
          maxms: round3(Math.max(...series[name])),
          ...(name in guards
            ? { addedOverSocat: { p50ms: round3(percentile(series[name], 50) - percentile(series.socat, 50)), p99ms: round3(percentile(series[name], 99) - percentile(series.socat, 99)) } }
            : {}),
        },
      ]),
    );
  console.log(
    JSON.stringify(
      {
        benchmark: 'small-command round trip, ms (one connection each; interleaved rounds); target added over socat p50 ≤0.2, p99 ≤1',
        samplesPerRound: samples,
        rounds,
        afterBulk,
        noop: summary(noop),
        fetchFlags: summary(flags),
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

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
