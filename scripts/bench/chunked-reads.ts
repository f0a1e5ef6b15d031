// Issue 15 "chunked reads fetch the message twice": bytes Dovecot sends for Thunderbird-style reads
// (RFC822.SIZE, then BODY.PEEK[]<0.65536>, <65536.65536>, …) of 15 messages over two connections of
// one account, direct vs through inboxguard (shared scanned copies on, and off with
// scan.sharedCopies.maxBytes 0). Bytes, not time: the figures do not depend on machine load.
//   node --import tsx scripts/bench/chunked-reads.ts [--baseline path/to/other/dist/cli/main.js]
import { readFileSync } from 'node:fs';
import { startDovecot } from '../test-servers/dovecot.js';
import { bigMessage } from '../../test/helpers/messages.js';
import { LeanImapClient, type ImapTarget } from './imap-client.js';
import { startInboxguard, type InboxguardProcess } from './inboxguard-process.js';
import { requireBuild } from './require-build.js';

const CHUNK = 65536;
const SIZES = [40_000, 70_000, 130_000, 200_000, 64_000, 65_536, 300_000, 90_000, 150_000, 20_000, 250_000, 100_000, 180_000, 66_000, 120_000];
const baseline = process.argv.includes('--baseline') ? process.argv[process.argv.indexOf('--baseline') + 1] : undefined;

requireBuild();

/** Reads every message in chunks, as Thunderbird does, on an open connection. */
async function readAll(client: LeanImapClient): Promise<void> {
  for (let uid = 1; uid <= SIZES.length; uid++) {
    // The lean client keeps no line that ends in a literal: the size comes from a FETCH of its own.
    const sized = await client.command(`UID FETCH ${uid} (UID RFC822.SIZE FLAGS)`);
    const size = Number(/RFC822\.SIZE (\d+)/.exec(sized.lines.join(''))?.[1]);
    if (!(size > 0)) throw new Error(`no RFC822.SIZE for UID ${uid}`);
    for (let origin = 0; origin < size; origin += CHUNK) {
      await client.command(`UID FETCH ${uid} (UID RFC822.SIZE FLAGS BODY.PEEK[]<${origin}.${CHUNK}>)`);
    }
  }
}

/** Two connections open at once; the first reads everything, then the second. Returns the bytes each received. */
async function twoConnections(target: ImapTarget, afterFirst: () => Promise<void> = async () => undefined): Promise<[number, number]> {
  const first = await LeanImapClient.connect(target, 'alice', 'secret');
  const second = await LeanImapClient.connect(target, 'alice', 'secret');
  await readAll(first);
  await first.command('LOGOUT');
  first.close();
  await afterFirst();
  await readAll(second);
  await second.command('LOGOUT');
  second.close();
  return [first.receivedBytes, second.receivedBytes];
}

/** bytesFromServer of the sessions closed so far, in the order they closed. */
async function closedSessions(guard: InboxguardProcess, count: number): Promise<number[]> {
  for (let attempt = 0; ; attempt++) {
    const closed = readFileSync(guard.logPath, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"session closed"'))
      .map((line) => (JSON.parse(line) as { bytesFromServer: number }).bytesFromServer);
    if (closed.length >= count || attempt >= 200) return closed;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const dovecot = await startDovecot({ messages: { alice: SIZES.map((size, i) => bigMessage(size, { seed: i + 1 })) } });
const upstream = `localhost:${dovecot.ports.imaps}`;
const variants: Array<{ name: string; config?: string; main?: string }> = [
  { name: 'inboxguard' },
  { name: 'inboxguard, shared copies off', config: 'scan:\n  sharedCopies:\n    maxBytes: 0\n' },
];
if (baseline) variants.push({ name: 'baseline', main: baseline });

try {
  const direct = await twoConnections({ port: dovecot.ports.imaps, ca: readFileSync(dovecot.caPath, 'utf8') });
  const directTotal = direct[0] + direct[1];
  const rows: Record<string, unknown> = {
    direct: { firstConnection: direct[0], secondConnection: direct[1], total: directTotal },
  };
  for (const variant of variants) {
    const guard = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], variant);
    try {
      await twoConnections({ port: guard.port, ca: guard.caPem }, async () => void (await closedSessions(guard, 1)));
      const [first, second] = await closedSessions(guard, 2);
      rows[variant.name] = {
        firstConnection: first,
        secondConnection: second,
        total: first + second,
        vsDirect: Number(((first + second) / directTotal).toFixed(3)),
        firstVsDirect: Number((first / direct[0]).toFixed(3)),
        secondVsDirect: Number((second / direct[1]).toFixed(3)),
      };
    } finally {
      await guard.stop();
    }
  }
  console.log(JSON.stringify({ messages: SIZES.length, messageBytes: SIZES.reduce((a, b) => a + b, 0), chunk: CHUNK, serverBytes: rows }, null, 2));
} finally {
  await dovecot.stop();
}
