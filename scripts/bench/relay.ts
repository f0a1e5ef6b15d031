// Relay throughput, side by side in one run: the same lean IMAPS client fetches a whole mailbox
// (UID FETCH 1:* BODY.PEEK[]) directly from Dovecot, through a socat TLS relay, and through
// inboxguard, interleaved. Prints JSON. Usage: npm run build && npm run bench:relay [-- --rounds N]
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startDovecot } from '../test-servers/dovecot.js';
import { freePorts } from '../test-servers/free-ports.js';
import { LeanImapClient, type ImapTarget } from './imap-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { benchMailbox, median } from './mailbox.js';
import { startSocatRelay } from './socat-relay.js';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
const count = Number(process.argv[process.argv.indexOf('--messages') + 1]) || 300;

if (!existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)))) {
  console.error('bench: run `npm run build` first (the benchmark measures the compiled proxy)');
  process.exit(2);
}

const messages = benchMailbox(count);
const totalBytes = messages.reduce((sum, message) => sum + message.length, 0);
const dovecot = await startDovecot({ messages: { alice: messages } });
const [socatPort] = await freePorts(1);
const socat = await startSocatRelay({ listenPort: socatPort, upstreamPort: dovecot.ports.imaps, certPath: dovecot.pki.certPath, keyPath: dovecot.pki.keyPath, caPath: dovecot.caPath });
const inboxguard = await startInboxguard(`localhost:${dovecot.ports.imaps}`, dovecot.caPath, ['--protocol', 'imap']);

const targets: Record<string, ImapTarget> = {
  direct: { port: dovecot.ports.imaps, ca: dovecot.caPem },
  socat: { port: socatPort, ca: dovecot.caPem },
  inboxguard: { port: inboxguard.port, ca: inboxguard.caPem },
};

async function fetchAll(target: ImapTarget): Promise<number> {
  const client = await LeanImapClient.connect(target, 'alice', 'secret');
  const started = process.hrtime.bigint();
  const { bodyBytes } = await client.command('UID FETCH 1:* (BODY.PEEK[])');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  client.close();
  if (bodyBytes !== totalBytes) throw new Error(`fetched ${bodyBytes} bytes, expected ${totalBytes}`);
  return totalBytes / 1e6 / seconds;
}

const results: Record<string, number[]> = { direct: [], socat: [], inboxguard: [] };
try {
  await fetchAll(targets.direct); // warm Dovecot's index and the page cache
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(targets)) results[name].push(await fetchAll(targets[name]));
  }
  const summary = Object.fromEntries(Object.entries(results).map(([name, values]) => [name, { medianMBps: round1(median(values)), runsMBps: values.map(round1) }]));
  console.log(
    JSON.stringify(
      {
        benchmark: 'relay: IMAPS UID FETCH 1:* BODY.PEEK[] of the whole mailbox',
        messages: messages.length,
        mailboxMB: round1(totalBytes / 1e6),
        rounds,
        ...summary,
        ratioInboxguardToSocat: Math.round((median(results.inboxguard) / median(results.socat)) * 1000) / 1000,
        inboxguardPeakRssMiB: round1(inboxguard.peakRssMiB()),
        node: process.version,
        loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      },
      null,
      2,
    ),
  );
} finally {
  await inboxguard.stop();
  socat.stop();
  await dovecot.stop();
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
