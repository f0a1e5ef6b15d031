// Peak RSS and fetch time of one large message with a single base64 attachment (the case where a
// decoded part held whole costs three quarters of the message on top of it), through a fresh
// inboxguard per build, scanning on (builtin engine), IMAP and POP3, builds interleaved round by round
// in one run. Compare this checkout with another build: --mains dist,OTHER/dist. Prints JSON.
// Usage: npm run build && node --import tsx scripts/bench/large-part-memory.ts [--mains dist,OTHER/dist] [--mib 200] [--rounds 1]
import { resolve } from 'node:path';
import { startDovecot } from '../test-servers/dovecot.js';
import { bigMessage } from '../../test/helpers/messages.js';
import { LeanImapClient } from './imap-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { retrAll } from './pop3-client.js';
import { machine } from './machine.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const mains = argument('--mains', 'dist').split(',');
const mib = Number(argument('--mib', '200'));
const rounds = Number(argument('--rounds', '1'));
const MiB = 1024 * 1024;
const round1 = (value: number) => Math.round(value * 10) / 10;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

const dovecot = await startDovecot({ users: [{ name: 'bob', password: 'secret' }], messages: { bob: [bigMessage(mib * MiB)] } });

interface Measure {
  peakRssMiB: number;
  idleRssMiB: number;
  fetchMs: number;
  messageMiB: number;
}

async function measure(main: string, protocol: 'imap' | 'pop3'): Promise<Measure> {
  const upstream = `localhost:${protocol === 'imap' ? dovecot.ports.imaps : dovecot.ports.pop3s}`;
  const guard = await startInboxguard(upstream, dovecot.caPath, ['--protocol', protocol], { main: resolve(main, 'cli/main.js') });
  try {
    const idle = guard.peakRssMiB();
    const started = performance.now();
    let bytes: number;
    if (protocol === 'imap') {
      const client = await LeanImapClient.connect({ port: guard.port, ca: guard.caPem }, 'bob', 'secret');
      bytes = (await client.command('UID FETCH 1 (BODY.PEEK[])')).bodyBytes;
      client.close();
    } else {
      bytes = await retrAll({ port: guard.port, ca: guard.caPem }, 'bob', 'secret', 1, 1);
    }
    const fetchMs = performance.now() - started;
    return { peakRssMiB: round1(guard.peakRssMiB()), idleRssMiB: round1(idle), fetchMs: Math.round(fetchMs), messageMiB: round1(bytes / MiB) };
  } finally {
    await guard.stop();
  }
}

const results: Record<string, Record<string, Measure[]>> = {};
try {
  for (let round = 0; round < rounds; round++) {
    for (const protocol of ['imap', 'pop3'] as const) {
      for (const main of mains) {
        ((results[main] ??= {})[protocol] ??= []).push(await measure(main, protocol));
      }
    }
  }
} finally {
  await dovecot.stop();
}

const best = (list: Measure[]) => ({ peakRssMiB: Math.min(...list.map((m) => m.peakRssMiB)), fetchMs: Math.min(...list.map((m) => m.fetchMs)), idleRssMiB: list[0].idleRssMiB, messageMiB: list[0].messageMiB });
const summary = Object.fromEntries(Object.entries(results).map(([main, byProtocol]) => [main, Object.fromEntries(Object.entries(byProtocol).map(([protocol, list]) => [protocol, best(list)]))]));
const [first, second] = mains;
const ratios =
  second === undefined
    ? undefined
    : Object.fromEntries(
        (['imap', 'pop3'] as const).map((protocol) => [
          protocol,
          { peakRss: ratio(summary[first][protocol].peakRssMiB, summary[second][protocol].peakRssMiB), fetchTime: ratio(summary[first][protocol].fetchMs, summary[second][protocol].fetchMs) },
        ]),
      );
console.log(JSON.stringify({ machine: machine(), messageMiB: mib, rounds, builds: summary, [`ratio ${first} / ${second}`]: ratios }, null, 2));
