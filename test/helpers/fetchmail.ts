// fetchmail as a real client: one poll of one mailbox through implicit TLS, every message kept on the
// server and appended to a BSMTP file. fetchmail checks what it receives against the size the server
// announced (POP3 LIST, IMAP RFC822.SIZE) and warns "N actual != M expected" on a mismatch.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FetchmailOptions {
  protocol: 'POP3' | 'IMAP';
  port: number;
  /** The CA that signed the server's certificate (for the proxy: its root CA). */
  caPath: string;
  user: string;
  password: string;
}

export interface FetchmailRun {
  /** fetchmail's exit code: 0 mail retrieved, 1 no mail. */
  code: number;
  /** stdout and stderr of a run at debug level (-v -v: only then does fetchmail report a length mismatch). */
  output: string;
  /** The BSMTP file: one MAIL FROM / DATA block per message. */
  bsmtp: string;
}

export async function fetchmailOnce(o: FetchmailOptions): Promise<FetchmailRun> {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-fetchmail-'));
  try {
    const rc = join(dir, 'fetchmailrc');
    const out = join(dir, 'out.bsmtp');
    writeFileSync(
      rc,
      [
        'set no bouncemail',
        `poll localhost via 127.0.0.1 port ${o.port} protocol ${o.protocol} timeout 60`,
        `  user "${o.user}" password "${o.password}"`,
        `  ssl sslcertck sslcertfile "${o.caPath}"`,
        `  keep fetchall bsmtp "${out}"`,
        '',
      ].join('\n'),
    );
    chmodSync(rc, 0o600);
    writeFileSync(out, '');
    const env = { ...process.env, HOME: dir, FETCHMAILHOME: dir };
    const args = ['-f', rc, '-i', join(dir, 'ids'), '--pidfile', join(dir, 'pid'), '--nosyslog', '--nodetach', '-v', '-v'];
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile('fetchmail', args, { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const exit = error === null ? 0 : typeof (error as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((error as unknown as { code: number }).code) : -1;
        resolve({ code: exit, output: `${stdout}${stderr}` });
      });
    });
    return { code, output, bsmtp: readFileSync(out, 'latin1') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
