// Side-by-side relay measurements in one run: direct to Dovecot, through a socat TLS relay, through
// inboxguard (compiled, as its own process) and through inboxguard with scanning off (`enabled: false`:
// the same TLS termination, relayed without the protocol engine), interleaved round by round. Prints JSON.
// Each round's bulk fetch reads the mailbox of an account none of them read before (alice, alice2, …, the
// same messages), so inboxguard scans every message as it would new mail; it does not scan a message it
// found clean again (issue #15), and `imapRefetchAll` is the same account's mailbox fetched again.
// Usage: npm run build && npm run bench [-- --rounds N --messages N]
import { startDovecot } from '../test-servers/dovecot.js';
import { freePorts } from '../test-servers/free-ports.js';
import { bigMessage } from '../../test/helpers/messages.js';
import { LeanImapClient, type ImapTarget } from './imap-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { benchMailbox, median, sameMailboxAccounts } from './mailbox.js';
import { retrAll } from './pop3-client.js';
import { startSocatRelay } from './socat-relay.js';
import { machine } from './machine.js';
import { requireBuild } from './require-build.js';

const argument = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const rounds = argument('--rounds', 3);
const count = argument('--messages', 300);
const latencySamples = argument('--latency-samples', 300);

requireBuild();

const MiB = 1024 * 1024;
const messages = benchMailbox(count);
const totalBytes = messages.reduce((sum, message) => sum + message.length, 0);
/** The account whose mailbox round `round`'s bulk fetch reads: one no proxy has read before. */
const bulkUsers = Array.from({ length: rounds }, (_, round) => (round === 0 ? 'alice' : `alice${round + 1}`));
const bulkAccounts = sameMailboxAccounts(bulkUsers, messages);
const dovecot = await startDovecot({
  users: [...bulkAccounts.users, { name: 'bob', password: 'secret' }],
  messages: { ...bulkAccounts.messages, bob: [bigMessage(21 * MiB), bigMessage(200 * MiB)] },
});
const [imapsRelayPort, pop3sRelayPort] = await freePorts(2);
const relay = { certPath: dovecot.pki.certPath, keyPath: dovecot.pki.keyPath, caPath: dovecot.caPath };
const socatImap = await startSocatRelay({ ...relay, listenPort: imapsRelayPort, upstreamPort: dovecot.ports.imaps });
const socatPop = await startSocatRelay({ ...relay, listenPort: pop3sRelayPort, upstreamPort: dovecot.ports.pop3s });
const guardImap = await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap']);
const guardPop = await startInboxguard(`localhost:${dovecot.ports.pop3s}`, dovecot.caPath, ['--protocol', 'pop3']);
/** Pass-through: what the proxy costs without scanning, so the cost of scanning itself is visible. */
const SCANNING_OFF = { config: 'enabled: false\n' };
const offImap = await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap'], SCANNING_OFF);
const offPop = await startInboxguard(`localhost:${dovecot.ports.pop3s}`, dovecot.caPath, ['--protocol', 'pop3'], SCANNING_OFF);

const imapTargets: Record<string, ImapTarget> = {
  direct: { port: dovecot.ports.imaps, ca: dovecot.caPem },
  socat: { port: imapsRelayPort, ca: dovecot.caPem },
  inboxguard: { port: guardImap.port, ca: guardImap.caPem },
  inboxguardScanningOff: { port: offImap.port, ca: offImap.caPem },
};
const popTargets: Record<string, ImapTarget> = {
  direct: { port: dovecot.ports.pop3s, ca: dovecot.caPem },
  socat: { port: pop3sRelayPort, ca: dovecot.caPem },
  inboxguard: { port: guardPop.port, ca: guardPop.caPem },
  inboxguardScanningOff: { port: offPop.port, ca: offPop.caPem },
};
const names = Object.keys(imapTargets);

async function imapFetchAll(target: ImapTarget, user: string): Promise<number> {
  const client = await LeanImapClient.connect(target, user, 'secret');
  const started = process.hrtime.bigint();
  const { bodyBytes } = await client.command('UID FETCH 1:* (BODY.PEEK[])');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  client.close();
  if (bodyBytes !== totalBytes) throw new Error(`fetched ${bodyBytes} bytes, expected ${totalBytes}`);
  return totalBytes / 1e6 / seconds;
}

async function popRetrAll(target: ImapTarget): Promise<number> {
  const started = process.hrtime.bigint();
  const bytes = await retrAll(target, 'alice', 'secret', messages.length);
  return bytes / 1e6 / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** Round-trip times in ms of `samples` commands on one connection. */
async function latencies(target: ImapTarget, command: (index: number) => string, samples: number): Promise<number[]> {
  const client = await LeanImapClient.connect(target, 'alice', 'secret');
  const times: number[] = [];
  for (let index = 0; index < samples; index++) {
    const started = process.hrtime.bigint();
    await client.command(command(index));
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  client.close();
  return times;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Peak RSS of a fresh inboxguard while it relays one large message. */
async function peakRssFetching(uid: number, options: { config?: string } = {}): Promise<{ peakRssMiB: number; idleRssMiB: number; messageMiB: number }> {
  const guard = await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap'], options);
  try {
    const idle = guard.peakRssMiB();
    const client = await LeanImapClient.connect({ port: guard.port, ca: guard.caPem }, 'bob', 'secret');
    const { bodyBytes } = await client.command(`UID FETCH ${uid} (BODY.PEEK[])`);
    client.close();
    return { idleRssMiB: round1(idle), peakRssMiB: round1(guard.peakRssMiB()), messageMiB: round1(bodyBytes / MiB) };
  } finally {
    await guard.stop();
  }
}

/** The same for POP3: a fresh inboxguard in front of Dovecot's POP3S while one RETR of message `n` goes through it. */
async function peakRssRetr(n: number, options: { config?: string } = {}): Promise<{ peakRssMiB: number; idleRssMiB: number; messageMiB: number }> {
  const guard = await startInboxguard(`localhost:${dovecot.ports.pop3s}`, dovecot.caPath, ['--protocol', 'pop3'], options);
  try {
    const idle = guard.peakRssMiB();
    const bytes = await retrAll({ port: guard.port, ca: guard.caPem }, 'bob', 'secret', n, n);
    return { idleRssMiB: round1(idle), peakRssMiB: round1(guard.peakRssMiB()), messageMiB: round1(bytes / MiB) };
  } finally {
    await guard.stop();
  }
}

const series = () => Object.fromEntries(names.map((name) => [name, [] as number[]]));
const throughput = series();
const pop = series();
const noop = series();
const flags = series();
const refetch: number[] = [];
try {
  for (const user of bulkUsers) await imapFetchAll(imapTargets.direct, user); // warm Dovecot's index and the page cache
  for (let round = 0; round < rounds; round++) {
    for (const name of names) throughput[name].push(await imapFetchAll(imapTargets[name], bulkUsers[round]));
    refetch.push(await imapFetchAll(imapTargets.inboxguard, bulkUsers[round]));
    for (const name of names) noop[name].push(...(await latencies(imapTargets[name], () => 'NOOP', latencySamples)));
    for (const name of names) flags[name].push(...(await latencies(imapTargets[name], (index) => `UID FETCH ${(index % count) + 1} (FLAGS)`, latencySamples)));
    for (const name of names) pop[name].push(await popRetrAll(popTargets[name]));
  }
  const mbps = (series: Record<string, number[]>) =>
    Object.fromEntries(names.map((name) => [name, { medianMBps: round1(median(series[name])), runsMBps: series[name].map(round1) }]));
  const latency = (series: Record<string, number[]>) =>
    Object.fromEntries(names.map((name) => [name, { p50ms: round3(percentile(series[name], 50)), p99ms: round3(percentile(series[name], 99)) }]));
  const addedBy = (series: Record<string, number[]>, name: string) => ({
    p50ms: round3(percentile(series[name], 50) - percentile(series.socat, 50)),
    p99ms: round3(percentile(series[name], 99) - percentile(series.socat, 99)),
  });
  const added = (series: Record<string, number[]>) => ({ ...addedBy(series, 'inboxguard'), scanningOff: addedBy(series, 'inboxguardScanningOff') });
  const ratios = (series: Record<string, number[]>) => ({
    ratioInboxguardToSocat: round3(median(series.inboxguard) / median(series.socat)),
    ratioScanningOffToSocat: round3(median(series.inboxguardScanningOff) / median(series.socat)),
  });
  const result = {
    benchmark: 'inboxguard relay vs direct vs socat TLS relay (same client, interleaved rounds)',
    mailbox: { messages: messages.length, MB: round1(totalBytes / 1e6) },
    rounds,
    imapFetchAll: { ...mbps(throughput), ...ratios(throughput) },
    imapRefetchAll: { inboxguard: { medianMBps: round1(median(refetch)), runsMBps: refetch.map(round1) }, ratioInboxguardToSocat: round3(median(refetch) / median(throughput.socat)) },
    pop3RetrAll: { ...mbps(pop), ...ratios(pop) },
    noopLatency: { ...latency(noop), inboxguardAddedOverSocat: added(noop) },
    fetchFlagsLatency: { ...latency(flags), inboxguardAddedOverSocat: added(flags) },
    peakRssInboxguardDuringBulkMiB: { imap: round1(guardImap.peakRssMiB()), pop3: round1(guardPop.peakRssMiB()) },
    peakRssScanningOffDuringBulkMiB: { imap: round1(offImap.peakRssMiB()), pop3: round1(offPop.peakRssMiB()) },
    largeMessages: { message21MiB: await peakRssFetching(1), message200MiB: await peakRssFetching(2) },
    largeMessagesScanningOff: { message21MiB: await peakRssFetching(1, SCANNING_OFF), message200MiB: await peakRssFetching(2, SCANNING_OFF) },
    largeMessagesPop3: { message200MiB: await peakRssRetr(2), scanningOff: await peakRssRetr(2, SCANNING_OFF) },
    ...machine(),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await guardImap.stop();
  await guardPop.stop();
  await offImap.stop();
  await offPop.stop();
  socatImap.stop();
  socatPop.stop();
  await dovecot.stop();
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
