// System calls per small command (NOOP, UID FETCH n (FLAGS), UID FETCH n (BODY.PEEK[]) of a small
// message) on one warm connection, counted with `strace -c -f` attached to the relaying process: socat
// (the forked child serving the connection) and inboxguard (compiled, its own process; all threads).
// Counts, not times: they do not depend on how busy the machine is. Then, without strace, the CPU time
// the relaying process spent per command (all its threads, from /proc/PID/task/*/schedstat), which
// depends far less on a busy machine than wall time does. Prints JSON: calls per command by system call
// and CPU microseconds per command, for each relay side by side; last, inboxguard's CPU per connection
// (TLS both legs, LOGIN, SELECT, LOGOUT).
// Usage: npm run build && node --import tsx scripts/bench/syscalls-per-command.ts [--commands N]
//        [--baseline OTHER/dist/cli/main.js]  (adds that build)  [--scanning-off]  (adds enabled: false)
import { readFileSync } from 'node:fs';
import { startDovecot } from '../test-servers/dovecot.js';
import { freePorts } from '../test-servers/free-ports.js';
import { LeanImapClient, type ImapTarget } from './imap-client.js';
import { startInboxguard, type InboxguardProcess } from './inboxguard-process.js';
import { startSocatRelay } from './socat-relay.js';
import { machine } from './machine.js';
import { cpuNanoseconds } from './process-cpu.js';
import { requireStrace, straceCounts } from './strace-counts.js';
import { requireBuild } from './require-build.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const commands = Number(argument('--commands', '300'));
const baseline = argument('--baseline', '');

requireBuild();

requireStrace();

// Small messages (200 B to 1.2 KB of text), as imaptest and everyday mail clients fetch them.
const messages = Array.from({ length: 20 }, (_, index) => Buffer.from(`From: a@example.com\r\nTo: b@example.com\r\nSubject: small ${index}\r\nMessage-ID: <small-${index}@bench.invalid>\r\n\r\n${'text '.repeat(40 + index * 10)}\r\n`));
const dovecot = await startDovecot({ messages: { alice: messages } });
const [socatPort] = await freePorts(1);
const socat = await startSocatRelay({ certPath: dovecot.pki.certPath, keyPath: dovecot.pki.keyPath, caPath: dovecot.caPath, listenPort: socatPort, upstreamPort: dovecot.ports.imaps });
const upstream = `localhost:${dovecot.ports.imaps}`;
const guards: Record<string, InboxguardProcess> = { inboxguard: await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap']) };
if (process.argv.includes('--scanning-off')) guards.inboxguardScanningOff = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { config: 'enabled: false\n' });
if (baseline) guards.baselineBuild = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { main: baseline });

/** The process that relays one connection: socat forks a child per connection, inboxguard serves all in one. */
function socatChild(parent: number): number {
  const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  if (children.length !== 1) throw new Error(`expected one socat child, found ${children.length}`);
  return children[0];
}

/** CPU nanoseconds run so far by the threads pid has now (a thread that ended takes its time with it). */
const kinds = { noop: () => 'NOOP', fetchFlags: (index: number) => `UID FETCH ${(index % 20) + 1} (FLAGS)`, fetchSmallBody: (index: number) => `UID FETCH ${(index % 20) + 1} (BODY.PEEK[])` };
const relays: Record<string, { target: ImapTarget; pid: () => number }> = {
  socat: { target: { port: socatPort, ca: dovecot.caPem }, pid: () => socatChild(socat.pid) },
  ...Object.fromEntries(Object.entries(guards).map(([name, guard]) => [name, { target: { port: guard.port, ca: guard.caPem }, pid: () => guard.pid }])),
};

const results: Record<string, Record<string, Record<string, number>>> = {};
try {
  for (const [kind, text] of Object.entries(kinds)) {
    results[kind] = {};
    for (const [name, relay] of Object.entries(relays)) {
      const client = await LeanImapClient.connect(relay.target, 'alice', 'secret');
      // Warm: every message fetched (and scanned) once, so repeated fetches are what is counted.
      for (let index = 0; index < 40; index++) await client.command(text(index));
      const calls = await straceCounts(relay.pid(), async () => {
        for (let index = 0; index < commands; index++) await client.command(text(index));
      });
      const cpuBefore = cpuNanoseconds(relay.pid());
      for (let index = 0; index < commands; index++) await client.command(text(index));
      const cpuMicrosPerCommand = Math.round((cpuNanoseconds(relay.pid()) - cpuBefore) / commands / 1000);
      client.close();
      const interesting = ['read', 'write', 'writev', 'sendmsg', 'recvfrom', 'epoll_wait', 'epoll_pwait', 'futex', 'select', 'pselect6', 'poll'];
      results[kind][name] = Object.fromEntries(
        Object.entries(calls)
          .filter(([syscall]) => interesting.includes(syscall) || calls[syscall] >= commands / 10)
          .map(([syscall, count]) => [syscall, Math.round((count / commands) * 100) / 100]),
      );
      results[kind][name].cpuMicrosPerCommand = cpuMicrosPerCommand;
      results[kind][name].allCalls = Math.round((Object.values(calls).reduce((sum, count) => sum + count, 0) / commands) * 100) / 100;
    }
  }
  // A mail client logs in and out all the time (imaptest does so every few commands): CPU per connection.
  results.connection = {};
  const connections = Math.max(20, Math.round(commands / 10));
  for (const [name, guard] of Object.entries(guards)) {
    const target = { port: guard.port, ca: guard.caPem };
    for (let index = 0; index < 5; index++) (await LeanImapClient.connect(target, 'alice', 'secret')).close();
    const cpuBefore = cpuNanoseconds(guard.pid);
    for (let index = 0; index < connections; index++) {
      const client = await LeanImapClient.connect(target, 'alice', 'secret');
      await client.command('LOGOUT');
      client.close();
    }
    results.connection[name] = { cpuMicrosPerConnection: Math.round((cpuNanoseconds(guard.pid) - cpuBefore) / connections / 1000) };
  }
  console.log(JSON.stringify({ benchmark: `system calls per command (strace -c -f, ${commands} commands on one warm connection)`, ...results, ...(baseline ? { baselineBuildPath: baseline } : {}), ...machine() }, null, 2));
} finally {
  for (const guard of Object.values(guards)) await guard.stop();
  socat.stop();
  await dovecot.stop();
}
