import tls from 'node:tls';
import type { ImapTarget } from './imap-client.js';

/** A lean POP3S client for benchmarks: RETR messages first..count, counting bytes up to each terminator. */
export async function retrAll(target: ImapTarget, user: string, password: string, count: number, first = 1): Promise<number> {
  const socket = tls.connect({ host: '127.0.0.1', port: target.port, ca: target.ca, servername: 'localhost' });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  let pending: Buffer = Buffer.alloc(0);
  let total = 0;
  const replies: { multiLine: boolean; resolve: (line: string) => void }[] = [];
  let inBody = false;
  let bodyDone: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length > 0) {
      if (inBody) {
        const end = pending.indexOf('\r\n.\r\n');
        if (end < 0) {
          const keep = Math.min(pending.length, 4);
          total += pending.length - keep;
          pending = Buffer.from(pending.subarray(pending.length - keep));
          return;
        }
        total += end + 2;
        pending = pending.subarray(end + 5);
        inBody = false;
        bodyDone?.();
        continue;
      }
      const lf = pending.indexOf(0x0a);
      if (lf < 0) return;
      const line = pending.subarray(0, lf + 1).toString('latin1');
      pending = pending.subarray(lf + 1);
      const reply = replies.shift();
      if (reply?.multiLine && line.startsWith('+OK')) inBody = true; // before the loop reads on into the body
      reply?.resolve(line);
    }
  });
  const command = (text: string, multiLine = false) =>
    new Promise<string>((resolve) => {
      replies.push({ multiLine, resolve });
      if (text) socket.write(`${text}\r\n`);
    });
  await command('');
  await command(`USER ${user}`);
  await command(`PASS ${password}`);
  for (let n = first; n <= count; n++) {
    const done = new Promise<void>((resolve) => (bodyDone = resolve));
    const status = await command(`RETR ${n}`, true);
    if (!status.startsWith('+OK')) throw new Error(`RETR ${n}: ${status}`);
    await done;
  }
  socket.end('QUIT\r\n');
  return total;
}
