// What scanning costs inside the proxy: fetch time of a ~10 MB message whose zip attachment holds
// EICAR (found, stripped, quarantined) versus the same message without it, through inboxguard with
// the builtin engine, direct fetches and inboxguard with scanning off (`enabled: false`, the pass-through
// figure) and a socat TLS relay (what any TLS-terminating relay costs on this machine) alongside for
// reference, interleaved round by round. Prints JSON.
// The repeated infected fetch finds its original already quarantined (the id is the message's SHA-256), so
// each round also fetches a fresh infected message (another subject, never seen before) whose original is
// written and fsynced before the stripped message goes out: the first download's cost.
// A message found clean is not scanned again when fetched again (issue #15), so every round's clean fetch
// through inboxguard (and the tapped and baseline proxies) reads a fresh clean message too (another
// subject); `inboxguardCleanRefetch` is the first clean message fetched again, known clean since the warm-up.
// Where one fetch's time goes (`splitMs`, medians): a second set of proxies reaches Dovecot through a
// timing tap (timing-tap.ts, a plain TCP forwarder) that notes when the server's first and last response
// bytes pass; the client notes its first and last byte; the scan event gives scanMs (ScanPipeline.scan:
// the body complete at the proxy → the verdict, i.e. dispatch, worker queue, walk, engines, reply,
// quarantine). The verdict's bytes reach the client about 0.5 ms after it, so the scan started at
// (client's first byte − scanMs). From these:
//   arrivalMs          first server byte → last body byte handled by the proxy (scan dispatched)
//   proxyBacklogMs     of it, the time after the last byte left the server (TLS, parsing, spooling behind)
//   scanMs             last body byte → verdict
//   deliveryMs         verdict → last byte at the client
// With scanning off the proxy streams: arrivalMs is the tap's, and the client's first byte comes before
// the server's last. The tapped proxies are separate, so the headline ratios keep their old setup.
// Usage: npm run build && node --import tsx scripts/bench/scan-cost.ts [--rounds N] [--baseline OTHER/dist/cli/main.js]
// (--baseline: another build of inboxguard, scanning on, measured in the same rounds)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDovecot } from '../test-servers/dovecot.js';
import { freePorts } from '../test-servers/free-ports.js';
import { scanCostMessage as message } from './scan-cost-message.js';
import { LeanImapClient, type ImapTarget } from './imap-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { median } from './mailbox.js';
import { startSocatRelay } from './socat-relay.js';
import { startTimingTap } from './timing-tap.js';

const rounds = process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : 7;
const baselineMain = process.argv.includes('--baseline') ? process.argv[process.argv.indexOf('--baseline') + 1] : undefined;
const clean = message(false);
const infected = message(true);
const FIRST_FRESH_UID = 3;
const fresh = Array.from({ length: rounds + 1 }, (_, round) => message(true, `infected, fresh ${round}`));
const FIRST_FRESH_CLEAN_UID = FIRST_FRESH_UID + fresh.length;
const freshClean = Array.from({ length: rounds }, (_, round) => message(false, `clean, fresh ${round}`));

const dovecot = await startDovecot({ messages: { alice: [clean, infected, ...fresh, ...freshClean] } });
const guard = await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap']);
const scanningOff = await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap'], { config: 'enabled: false\n' });
const [socatPort] = await freePorts(1);
const socat = await startSocatRelay({ certPath: dovecot.pki.certPath, keyPath: dovecot.pki.keyPath, caPath: dovecot.caPath, listenPort: socatPort, upstreamPort: dovecot.ports.imaps });
const baseline = baselineMain ? await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap'], { main: baselineMain }) : undefined;
const tap = await startTimingTap(dovecot.ports.imaps);
const tapped = {
  inboxguard: await startInboxguard(`localhost:${tap.port}`, dovecot.caPath, ['--protocol', 'imap']),
  inboxguardScanningOff: await startInboxguard(`localhost:${tap.port}`, dovecot.caPath, ['--protocol', 'imap'], { config: 'enabled: false\n' }),
  ...(baselineMain ? { baseline: await startInboxguard(`localhost:${tap.port}`, dovecot.caPath, ['--protocol', 'imap'], { main: baselineMain }) } : {}),
};

async function fetchMs(target: ImapTarget, uid: number): Promise<number> {
  const client = await LeanImapClient.connect(target, 'alice', 'secret');
  const started = process.hrtime.bigint();
  await client.command(`UID FETCH ${uid} (BODY.PEEK[])`);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  client.close();
  return ms;
}

interface Split {
  sent: bigint;
  firstServer: bigint;
  lastServer: bigint;
  firstClient: bigint;
  lastClient: bigint;
}

/** One fetch through a tapped proxy, timed at the server's first and last byte and the client's first and last. */
async function splitFetch(target: ImapTarget, uid: number): Promise<Split> {
  const client = await LeanImapClient.connect(target, 'alice', 'secret');
  tap.mark();
  const sent = process.hrtime.bigint();
  const { firstDataNs, lastDataNs } = await client.command(`UID FETCH ${uid} (BODY.PEEK[])`);
  client.close();
  return { sent, firstServer: tap.firstServerNs ?? sent, lastServer: tap.lastServerNs ?? sent, firstClient: firstDataNs, lastClient: lastDataNs };
}

/** scanMs of the scan events of `uid`, in order (the events are appended as the scans end). */
function scanMsOf(home: string, uid: number): number[] {
  return readFileSync(join(home, 'logs', 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { uid?: number; scanMs?: number })
    .filter((event) => event.uid === uid && typeof event.scanMs === 'number')
    .map((event) => event.scanMs as number);
}

/** The medians of one series of tapped fetches; `scanMs[i]` is fetch i's scan (absent with scanning off). */
function splitOf(fetches: Split[], scanMs: number[] | undefined): Record<string, number> {
  const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;
  const rows = fetches.map((fetch, index) => {
    const scan = scanMs?.[index];
    const handled = scan === undefined ? fetch.lastServer : fetch.firstClient - BigInt(Math.round(scan * 1e6));
    return {
      totalMs: ms(fetch.sent, fetch.lastClient),
      requestToFirstServerByteMs: ms(fetch.sent, fetch.firstServer),
      arrivalMs: ms(fetch.firstServer, handled),
      ...(scan === undefined ? { lastServerByteToFirstClientByteMs: ms(fetch.lastServer, fetch.firstClient) } : { proxyBacklogMs: ms(fetch.lastServer, handled), scanMs: scan }),
      deliveryMs: ms(fetch.firstClient, fetch.lastClient),
    };
  });
  return Object.fromEntries(Object.keys(rows[0]).map((key) => [key, Math.round(median(rows.map((row) => (row as Record<string, number>)[key])) * 10) / 10]));
}

const splits: Record<string, Split[]> = {};
const tappedTargets = Object.fromEntries(Object.entries(tapped).map(([name, guard]) => [name, { port: guard.port, ca: guard.caPem }])) as Record<keyof typeof tapped, ImapTarget>;

const targets = {
  direct: { port: dovecot.ports.imaps, ca: dovecot.caPem },
  socat: { port: socatPort, ca: dovecot.caPem },
  inboxguard: { port: guard.port, ca: guard.caPem },
  inboxguardScanningOff: { port: scanningOff.port, ca: scanningOff.caPem },
  ...(baseline ? { baseline: { port: baseline.port, ca: baseline.caPem } } : {}),
};
const times: Record<string, number[]> = {
  directClean: [],
  directInfected: [],
  socatClean: [],
  inboxguardClean: [],
  inboxguardCleanRefetch: [],
  inboxguardInfected: [],
  inboxguardInfectedFresh: [],
  inboxguardScanningOffClean: [],
  inboxguardScanningOffInfected: [],
  ...(baseline ? { baselineClean: [], baselineInfected: [], baselineInfectedFresh: [] } : {}),
};
try {
  await fetchMs(targets.direct, 1);
  await fetchMs(targets.socat, 1);
  await fetchMs(targets.inboxguard, 1);
  await fetchMs(targets.inboxguardScanningOff, 1);
  if (targets.baseline) await fetchMs(targets.baseline, 1);
  // The first infected fetch of each proxy (its first quarantine write, lazily created directories).
  await fetchMs(targets.inboxguard, FIRST_FRESH_UID + rounds);
  if (targets.baseline) await fetchMs(targets.baseline, FIRST_FRESH_UID + rounds);
  for (const target of Object.values(tappedTargets)) {
    await splitFetch(target, 1);
    await splitFetch(target, 2);
  }
  for (let round = 0; round < rounds; round++) {
    times.directClean.push(await fetchMs(targets.direct, 1));
    times.directInfected.push(await fetchMs(targets.direct, 2));
    times.socatClean.push(await fetchMs(targets.socat, 1));
    times.inboxguardClean.push(await fetchMs(targets.inboxguard, FIRST_FRESH_CLEAN_UID + round));
    times.inboxguardCleanRefetch.push(await fetchMs(targets.inboxguard, 1));
    times.inboxguardInfected.push(await fetchMs(targets.inboxguard, 2));
    times.inboxguardInfectedFresh.push(await fetchMs(targets.inboxguard, FIRST_FRESH_UID + round));
    times.inboxguardScanningOffClean.push(await fetchMs(targets.inboxguardScanningOff, 1));
    times.inboxguardScanningOffInfected.push(await fetchMs(targets.inboxguardScanningOff, 2));
    if (targets.baseline) {
      times.baselineClean.push(await fetchMs(targets.baseline, FIRST_FRESH_CLEAN_UID + round));
      times.baselineInfected.push(await fetchMs(targets.baseline, 2));
      times.baselineInfectedFresh.push(await fetchMs(targets.baseline, FIRST_FRESH_UID + round));
    }
    for (const [name, target] of Object.entries(tappedTargets)) {
      (splits[`${name}Clean`] ??= []).push(await splitFetch(target, FIRST_FRESH_CLEAN_UID + round));
      if (name !== 'inboxguardScanningOff') (splits[`${name}Infected`] ??= []).push(await splitFetch(target, 2));
    }
  }
  // Each tapped proxy's events: the infected message's one warm-up fetch, then one per round; one of each fresh clean message.
  const eventsOf = (name: keyof typeof tapped, clean: boolean) => {
    const guard = tapped[name];
    if (!guard || name === 'inboxguardScanningOff') return undefined;
    if (!clean) return scanMsOf(guard.home, 2).slice(1);
    return freshClean.map((_, round) => scanMsOf(guard.home, FIRST_FRESH_CLEAN_UID + round)[0]);
  };
  const splitMs = Object.fromEntries(
    Object.entries(splits).map(([series, fetches]) => {
      const name = series.replace(/(Clean|Infected)$/, '') as keyof typeof tapped;
      return [series, splitOf(fetches, eventsOf(name, series.endsWith('Clean')))];
    }),
  );
  const medians = Object.fromEntries(Object.entries(times).map(([name, values]) => [name, Math.round(median(values) * 10) / 10]));
  console.log(
    JSON.stringify(
      {
        benchmark: 'scan cost in the proxy: UID FETCH BODY.PEEK[] of one message, median ms',
        messageMB: Math.round((infected.length / 1e6) * 10) / 10,
        rounds,
        medianMs: medians,
        ratioInfectedToClean: ratio(times.inboxguardInfected, times.inboxguardClean),
        ratioInfectedFreshToClean: ratio(times.inboxguardInfectedFresh, times.inboxguardClean),
        ratioCleanToDirect: ratio(times.inboxguardClean, times.directClean),
        ratioCleanRefetchToDirect: ratio(times.inboxguardCleanRefetch, times.directClean),
        ratioScanningOffCleanToDirect: ratio(times.inboxguardScanningOffClean, times.directClean),
        ratioSocatCleanToDirect: ratio(times.socatClean, times.directClean),
        ratioCleanToSocat: ratio(times.inboxguardClean, times.socatClean),
        splitMs,
        inboxguardPeakRssMiB: Math.round(guard.peakRssMiB() * 10) / 10,
        scanningOffPeakRssMiB: Math.round(scanningOff.peakRssMiB() * 10) / 10,
        ...(baseline ? { baseline: baselineMain, ratioCleanToBaseline: ratio(times.inboxguardClean, times.baselineClean), ratioInfectedToBaseline: ratio(times.inboxguardInfected, times.baselineInfected), ratioInfectedFreshToBaseline: ratio(times.inboxguardInfectedFresh, times.baselineInfectedFresh), baselinePeakRssMiB: Math.round(baseline.peakRssMiB() * 10) / 10 } : {}),
      },
      null,
      2,
    ),
  );
} finally {
  socat.stop();
  await guard.stop();
  await scanningOff.stop();
  await baseline?.stop();
  for (const guard of Object.values(tapped)) await guard.stop();
  await tap.stop();
  await dovecot.stop();
}

function ratio(values: number[], reference: number[]): number {
  return Math.round((median(values) / median(reference)) * 1000) / 1000;
}
