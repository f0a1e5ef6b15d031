// CPU the proxy spends per short IMAPS session (TLS both legs, LOGIN, SELECT, LOGOUT), as imaptest and
// mail clients open them all the time, for this build and `--baseline OTHER/dist/cli/main.js`
// alternating round by round in one run: all the proxy's threads (process-cpu.ts), which depends far
// less on a busy machine than wall time, with the pass-through (scanning off: no protocol engine) beside.
// Prints JSON: median CPU microseconds per session per build.
// Usage: npm run build && node --import tsx scripts/bench/connection-cost.ts [--rounds N] [--sessions N]
//        [--baseline OTHER/dist/cli/main.js]
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startDovecot } from '../test-servers/dovecot.js';
import { LeanImapClient } from './imap-client.js';
import { startInboxguard, type InboxguardProcess } from './inboxguard-process.js';
import { machine } from './machine.js';
import { cpuNanoseconds } from './process-cpu.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const rounds = Number(argument('--rounds', '5'));
const sessions = Number(argument('--sessions', '60'));
const baseline = argument('--baseline', '');

if (!existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)))) {
  console.error('bench: run `npm run build` first (the benchmark measures the compiled proxy)');
  process.exit(2);
}

const messages = Array.from({ length: 5 }, (_, index) => Buffer.from(`From: a@example.com\r\nSubject: small ${index}\r\n\r\n${'text '.repeat(40)}\r\n`));
const dovecot = await startDovecot({ messages: { alice: messages } });
// A host name, as users configure it: its resolution is part of each connection.
const upstream = `localhost:${dovecot.ports.imaps}`;
const guards: Record<string, InboxguardProcess> = {};
try {
  guards.thisBuild = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap']);
  // Pass-through (`enabled: false`): what a session costs without the protocol engine and scanning.
  guards.scanningOff = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { config: 'enabled: false\n' });
  if (baseline) guards.baselineBuild = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { main: baseline });

  const session = async (guard: InboxguardProcess): Promise<void> => {
    const client = await LeanImapClient.connect({ port: guard.port, ca: guard.caPem }, 'alice', 'secret');
    await client.command('LOGOUT');
    client.close();
  };
  for (const guard of Object.values(guards)) for (let index = 0; index < 10; index++) await session(guard);

  const perRound = new Map<string, number[]>(Object.keys(guards).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? Object.entries(guards) : Object.entries(guards).reverse();
    for (const [name, guard] of order) {
      const before = cpuNanoseconds(guard.pid);
      for (let index = 0; index < sessions; index++) await session(guard);
      perRound.get(name)!.push(Math.round((cpuNanoseconds(guard.pid) - before) / sessions / 1000));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const result: Record<string, unknown> = { benchmark: `CPU per short IMAPS session (LOGIN, SELECT, LOGOUT), ${sessions} sessions x ${rounds} rounds` };
  for (const [name, values] of perRound) result[name] = { cpuMicrosPerSession: median(values), rounds: values };
  if (baseline) result.ratio = Math.round((median(perRound.get('thisBuild')!) / median(perRound.get('baselineBuild')!)) * 100) / 100;
  console.log(JSON.stringify({ ...result, ...(baseline ? { baselineBuildPath: baseline } : {}), ...machine() }, null, 2));
} finally {
  for (const guard of Object.values(guards)) await guard.stop();
  await dovecot.stop();
}
