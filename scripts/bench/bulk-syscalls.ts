// System calls of the proxy (all threads, `strace -c -f`) over one bulk fetch of the first --messages
// of the bench mailbox: IMAP `UID FETCH 1:* BODY.PEEK[]` and POP3 RETR of every message, scanning on
// and/or off, per build given with --mains. Counts, not times: they do not depend on how busy the machine is; what
// differs between IMAP and POP3 pass-through shows here. Prints JSON: calls per build and protocol.
// Usage: npm run build && node --import tsx scripts/bench/bulk-syscalls.ts [--mains dist,OTHER/dist]
//        [--protocols imap,pop3] [--scanning on|off|both] [--messages 150]
import { resolve } from 'node:path';
import { startDovecot } from '../test-servers/dovecot.js';
import { LeanImapClient } from './imap-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { machine } from './machine.js';
import { benchMailbox, sameMailboxAccounts } from './mailbox.js';
import { retrAll } from './pop3-client.js';
import { requireStrace, straceCounts } from './strace-counts.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const mains = argument('--mains', 'dist').split(',');
const protocols = argument('--protocols', 'imap,pop3').split(',');
const scanning = argument('--scanning', 'off');
requireStrace();

const SHOWN = ['read', 'write', 'writev', 'epoll_wait', 'epoll_pwait', 'epoll_ctl', 'futex', 'pread64', 'pwrite64', 'mmap', 'munmap', 'madvise'];
const messages = benchMailbox(300).slice(0, Number(argument('--messages', '150')));
// The warm-up reads alice's mailbox, the measured fetch bulk's (the same messages): a message found clean is not scanned again (issue #15).
const dovecot = await startDovecot(sameMailboxAccounts(['alice', 'bulk'], messages));
const results: Record<string, Record<string, number>> = {};
try {
  for (const protocol of protocols) {
    for (const build of mains) {
      for (const config of [...(scanning === 'off' ? [] : [undefined]), ...(scanning === 'on' ? [] : ['enabled: false\n'])]) {
        const upstream = `localhost:${protocol === 'imap' ? dovecot.ports.imaps : dovecot.ports.pop3s}`;
        const guard = await startInboxguard(upstream, dovecot.caPath, ['--protocol', protocol], { main: resolve(build, 'cli/main.js'), ...(config ? { config } : {}) });
        try {
          const target = { port: guard.port, ca: guard.caPem };
          const fetchAll = async (user: string) => {
            if (protocol === 'pop3') return void (await retrAll(target, user, 'secret', messages.length));
            const client = await LeanImapClient.connect(target, user, 'secret');
            await client.command('UID FETCH 1:* (BODY.PEEK[])');
            client.close();
          };
          await fetchAll('alice');
          const counts = await straceCounts(guard.pid, () => fetchAll('bulk'));
          results[`${protocol} ${build}${config ? ' (scanning off)' : ''}`] = Object.fromEntries(SHOWN.filter((call) => counts[call]).map((call) => [call, counts[call]!]));
        } finally {
          await guard.stop();
        }
      }
    }
  }
} finally {
  await dovecot.stop();
}
console.log(JSON.stringify({ benchmark: `proxy system calls over one bulk fetch of ${messages.length} messages`, results, ...machine() }, null, 2));
