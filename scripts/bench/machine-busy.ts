// How busy the whole machine is while one bulk fetch runs, per target: direct to Dovecot, through a socat
// TLS relay, through inboxguard, and through inboxguard with scanning off (`enabled: false`), round by
// round in turn. Busy time is read machine-wide from /proc/stat (every process: Dovecot, the client, the
// relay and all their threads), so on a machine whose cores are all busy it says how much CPU a target
// needs per fetch, which bounds its throughput there. Each fetch reads an account no target read before
// (the same messages): inboxguard scans every message as new mail (it does not scan one it found clean
// again). Run it on an otherwise idle machine: anything else running is counted too. Prints JSON.
// Usage: npm run build && node --import tsx scripts/bench/machine-busy.ts [--rounds 5] [--protocol imap|pop3]
import { readFileSync } from 'node:fs';
import { startDovecot } from '../test-servers/dovecot.js';
import { freePorts } from '../test-servers/free-ports.js';
import type { ImapTarget } from './imap-client.js';
import { LeanImapClient } from './imap-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { machine } from './machine.js';
import { benchMailbox, median, sameMailboxAccounts } from './mailbox.js';
import { retrAll } from './pop3-client.js';
import { requireBuild } from './require-build.js';
import { startSocatRelay } from './socat-relay.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const rounds = Number(argument('--rounds', '5'));
const protocol = argument('--protocol', 'imap');
if (protocol !== 'imap' && protocol !== 'pop3') throw new Error('--protocol imap|pop3');
requireBuild();

const TARGETS = ['direct', 'socat', 'inboxguard', 'inboxguardScanningOff'] as const;
type Target = (typeof TARGETS)[number];

/** Jiffies since boot: [busy (all but idle and iowait), total], over all cores. */
function cpuJiffies(): [number, number] {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return [total - fields[3] - fields[4], total];
}

const cores = readFileSync('/proc/stat', 'utf8').split('\n').filter((line) => /^cpu\d+ /.test(line)).length;
const messages = benchMailbox(300);
const totalMB = messages.reduce((sum, message) => sum + message.length, 0) / 1e6;
/** Round 0 warms each target up; every round reads each target's own fresh account (lower case: Dovecot's user names). */
const accountOf = (target: Target, round: number) => `${target.toLowerCase()}${round}`;
const dovecot = await startDovecot(sameMailboxAccounts(TARGETS.flatMap((target) => Array.from({ length: rounds + 1 }, (_, round) => accountOf(target, round))), messages));
const upstreamPort = protocol === 'imap' ? dovecot.ports.imaps : dovecot.ports.pop3s;
const [socatPort] = await freePorts(1);
const socat = await startSocatRelay({ certPath: dovecot.pki.certPath, keyPath: dovecot.pki.keyPath, caPath: dovecot.caPath, listenPort: socatPort, upstreamPort });
const upstream = `localhost:${upstreamPort}`;
const guard = await startInboxguard(upstream, dovecot.caPath, ['--protocol', protocol]);
const guardOff = await startInboxguard(upstream, dovecot.caPath, ['--protocol', protocol], { config: 'enabled: false\n' });
const upstreamCa = readFileSync(dovecot.caPath, 'utf8');
const targets: Record<Target, ImapTarget> = {
  direct: { port: upstreamPort, ca: upstreamCa },
  socat: { port: socatPort, ca: upstreamCa },
  inboxguard: { port: guard.port, ca: guard.caPem },
  inboxguardScanningOff: { port: guardOff.port, ca: guardOff.caPem },
};

async function fetchAll(target: Target, user: string): Promise<void> {
  if (protocol === 'pop3') return void (await retrAll(targets[target], user, 'secret', messages.length));
  const client = await LeanImapClient.connect(targets[target], user, 'secret');
  await client.command('UID FETCH 1:* (BODY.PEEK[])');
  client.close();
}

const runs = Object.fromEntries(TARGETS.map((target) => [target, { wallMs: [] as number[], busyCoreMs: [] as number[] }])) as Record<Target, { wallMs: number[]; busyCoreMs: number[] }>;
try {
  for (const target of TARGETS) await fetchAll(target, accountOf(target, 0));
  for (let round = 1; round <= rounds; round++) {
    for (const target of TARGETS) {
      const [busyBefore, totalBefore] = cpuJiffies();
      const started = performance.now();
      await fetchAll(target, accountOf(target, round));
      const wallMs = performance.now() - started;
      const [busyAfter, totalAfter] = cpuJiffies();
      runs[target].wallMs.push(Math.round(wallMs));
      runs[target].busyCoreMs.push(Math.round(((busyAfter - busyBefore) / (totalAfter - totalBefore)) * cores * wallMs));
    }
  }
} finally {
  socat.stop();
  await guard.stop();
  await guardOff.stop();
  await dovecot.stop();
}

const summary = Object.fromEntries(
  TARGETS.map((target) => {
    const wallMs = median(runs[target].wallMs);
    const busyCoreMs = median(runs[target].busyCoreMs);
    return [target, { medianWallMs: wallMs, medianBusyCoreMs: busyCoreMs, busyShareOfCores: Math.round((busyCoreMs / (cores * wallMs)) * 100) / 100, busyCoreMsPerMB: Math.round(busyCoreMs / totalMB), ...runs[target] }];
  }),
);
console.log(JSON.stringify({ benchmark: `machine-wide CPU per bulk ${protocol === 'imap' ? 'IMAP UID FETCH 1:*' : 'POP3 RETR'} of ${messages.length} messages (${Math.round(totalMB)} MB), per target`, rounds, cores, targets: summary, ...machine() }, null, 2));
