// Peak RSS (VmHWM) of a fresh proxy relaying and scanning one large message, per build given with
// --mains (measured one after another in one run), for two shapes of 200 MiB message: one base64
// attachment (the relay.ts row; its decoded copy is the part's, not the walk's) and a multipart of
// 2 MiB attachments (where holding the whole message was the largest cost). Each build's idle RSS is
// printed beside its peak, so growth = peak − idle.
// Usage: npm run build && node --import tsx scripts/bench/large-message-memory.ts [--mains dist,OTHER/dist] [--protocols imap,pop3] [--mib 200]
import { resolve } from 'node:path';
import { startDovecot } from '../test-servers/dovecot.js';
import { base64Lines, bigMessage, randomBytesFromSeed } from '../../test/helpers/messages.js';
import { LeanImapClient } from './imap-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { retrAll } from './pop3-client.js';
import { machine } from './machine.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const mains = argument('--mains', 'dist').split(',');
const protocols = argument('--protocols', 'imap').split(',') as ('imap' | 'pop3')[];
const MiB = 1024 * 1024;
const size = Number(argument('--mib', '200')) * MiB;
const round1 = (value: number) => Math.round(value * 10) / 10;

function manyAttachments(total: number, partBytes: number): Buffer {
  const parts: string[] = [];
  for (let index = 0, bytes = 0; bytes < total; index++) {
    const part = `--b\r\nContent-Type: application/octet-stream; name="f${index}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(randomBytesFromSeed(partBytes, index + 1))}`;
    parts.push(part);
    bytes += part.length;
  }
  return Buffer.from(`From: a@example.org\r\nSubject: many parts\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${parts.join('\r\n')}\r\n--b--\r\n`, 'latin1');
}

const messages = { single: bigMessage(size), multipart: manyAttachments(size, 1.5 * MiB) };
const dovecot = await startDovecot({ users: [{ name: 'bob', password: 'secret' }], messages: { bob: [messages.single, messages.multipart] } });
const results: Record<string, unknown> = {};
try {
  for (const build of mains) {
    const main = resolve(build, 'cli', 'main.js');
    for (const protocol of protocols) {
      for (const [shape, uid] of [['single base64 part', 1], ['multipart of 1.5 MiB parts', 2]] as const) {
        const port = protocol === 'imap' ? dovecot.ports.imaps : dovecot.ports.pop3s;
        const guard = await startInboxguard(`localhost:${port}`, dovecot.caPath, ['--protocol', protocol], { main });
        try {
          const idle = guard.peakRssMiB();
          const target = { port: guard.port, ca: guard.caPem };
          let bytes: number;
          if (protocol === 'imap') {
            const client = await LeanImapClient.connect(target, 'bob', 'secret');
            bytes = (await client.command(`UID FETCH ${uid} (BODY.PEEK[])`)).bodyBytes;
            client.close();
          } else bytes = await retrAll(target, 'bob', 'secret', uid, uid);
          const expected = uid === 1 ? messages.single.length : messages.multipart.length;
          if (bytes !== expected) throw new Error(`${protocol} ${shape}: ${bytes} bytes fetched, expected ${expected}`);
          const peak = guard.peakRssMiB();
          results[`${build} ${protocol} ${shape}`] = { idleRssMiB: round1(idle), peakRssMiB: round1(peak), growthMiB: round1(peak - idle), messageMiB: round1(bytes / MiB) };
        } finally {
          await guard.stop();
        }
      }
    }
  }
} finally {
  await dovecot.stop();
}
console.log(JSON.stringify({ benchmark: 'peak RSS relaying and scanning one large message (MiB)', results, ...machine() }, null, 2));
