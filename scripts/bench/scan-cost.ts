// What scanning costs inside the proxy: fetch time of a ~10 MB message whose zip attachment holds
// EICAR (found, stripped, quarantined) versus the same message without it, through inboxguard with
// the builtin engine, direct fetches and inboxguard with scanning off (`enabled: false`, the pass-through
// figure) alongside for reference, interleaved round by round. Prints JSON.
// The repeated infected fetch finds its original already quarantined (the id is the message's SHA-256), so
// each round also fetches a fresh infected message (another subject, never seen before) whose original is
// written and fsynced before the stripped message goes out: the first download's cost.
// Usage: npm run build && node --import tsx scripts/bench/scan-cost.ts [--rounds N] [--baseline OTHER/dist/cli/main.js]
// (--baseline: another build of inboxguard, scanning on, measured in the same rounds)
import { startDovecot } from '../test-servers/dovecot.js';
import { randomBytesFromSeed, withAttachments } from '../../test/helpers/messages.js';
import { EICAR } from '../../test/unit/scan/archive/archive-builders.js';
import { writeZip } from '../../test/unit/scan/archive/zip-writer.js';
import { LeanImapClient, type ImapTarget } from './imap-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { median } from './mailbox.js';

const rounds = process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : 7;
const baselineMain = process.argv.includes('--baseline') ? process.argv[process.argv.indexOf('--baseline') + 1] : undefined;
const payload = randomBytesFromSeed(7 * 1024 * 1024, 11);
const message = (withEicar: boolean, subject = withEicar ? 'infected' : 'clean') =>
  withAttachments({
    seed: 70,
    subject,
    attachments: [{ filename: 'data.zip', contentType: 'application/zip', content: writeZip([...(withEicar ? [{ name: 'eicar.com', data: EICAR }] : []), { name: 'payload.bin', data: payload, method: 'store' as const }]) }],
  });
const clean = message(false);
const infected = message(true);
const FIRST_FRESH_UID = 3;
const fresh = Array.from({ length: rounds + 1 }, (_, round) => message(true, `infected, fresh ${round}`));

const dovecot = await startDovecot({ messages: { alice: [clean, infected, ...fresh] } });
const guard = await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap']);
const scanningOff = await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap'], { config: 'enabled: false\n' });
const baseline = baselineMain ? await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap'], { main: baselineMain }) : undefined;

async function fetchMs(target: ImapTarget, uid: number): Promise<number> {
  const client = await LeanImapClient.connect(target, 'alice', 'secret');
  const started = process.hrtime.bigint();
  await client.command(`UID FETCH ${uid} (BODY.PEEK[])`);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  client.close();
  return ms;
}

const targets = {
  direct: { port: dovecot.ports.imaps, ca: dovecot.caPem },
  inboxguard: { port: guard.port, ca: guard.caPem },
  inboxguardScanningOff: { port: scanningOff.port, ca: scanningOff.caPem },
  ...(baseline ? { baseline: { port: baseline.port, ca: baseline.caPem } } : {}),
};
const times: Record<string, number[]> = {
  directClean: [],
  directInfected: [],
  inboxguardClean: [],
  inboxguardInfected: [],
  inboxguardInfectedFresh: [],
  inboxguardScanningOffClean: [],
  inboxguardScanningOffInfected: [],
  ...(baseline ? { baselineClean: [], baselineInfected: [], baselineInfectedFresh: [] } : {}),
};
try {
  await fetchMs(targets.direct, 1);
  await fetchMs(targets.inboxguard, 1);
  await fetchMs(targets.inboxguardScanningOff, 1);
  if (targets.baseline) await fetchMs(targets.baseline, 1);
  // The first infected fetch of each proxy (its first quarantine write, lazily created directories).
  await fetchMs(targets.inboxguard, FIRST_FRESH_UID + rounds);
  if (targets.baseline) await fetchMs(targets.baseline, FIRST_FRESH_UID + rounds);
  for (let round = 0; round < rounds; round++) {
    times.directClean.push(await fetchMs(targets.direct, 1));
    times.directInfected.push(await fetchMs(targets.direct, 2));
    times.inboxguardClean.push(await fetchMs(targets.inboxguard, 1));
    times.inboxguardInfected.push(await fetchMs(targets.inboxguard, 2));
    times.inboxguardInfectedFresh.push(await fetchMs(targets.inboxguard, FIRST_FRESH_UID + round));
    times.inboxguardScanningOffClean.push(await fetchMs(targets.inboxguardScanningOff, 1));
    times.inboxguardScanningOffInfected.push(await fetchMs(targets.inboxguardScanningOff, 2));
    if (targets.baseline) {
      times.baselineClean.push(await fetchMs(targets.baseline, 1));
      times.baselineInfected.push(await fetchMs(targets.baseline, 2));
      times.baselineInfectedFresh.push(await fetchMs(targets.baseline, FIRST_FRESH_UID + round));
    }
  }
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
        ratioScanningOffCleanToDirect: ratio(times.inboxguardScanningOffClean, times.directClean),
        inboxguardPeakRssMiB: Math.round(guard.peakRssMiB() * 10) / 10,
        scanningOffPeakRssMiB: Math.round(scanningOff.peakRssMiB() * 10) / 10,
        ...(baseline ? { baseline: baselineMain, ratioCleanToBaseline: ratio(times.inboxguardClean, times.baselineClean), ratioInfectedToBaseline: ratio(times.inboxguardInfected, times.baselineInfected), ratioInfectedFreshToBaseline: ratio(times.inboxguardInfectedFresh, times.baselineInfectedFresh), baselinePeakRssMiB: Math.round(baseline.peakRssMiB() * 10) / 10 } : {}),
      },
      null,
      2,
    ),
  );
} finally {
  await guard.stop();
  await scanningOff.stop();
  await baseline?.stop();
  await dovecot.stop();
}

function ratio(values: number[], reference: number[]): number {
  return Math.round((median(values) / median(reference)) * 1000) / 1000;
}
