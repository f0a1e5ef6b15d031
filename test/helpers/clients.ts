// Real mail clients for integration tests: curl, python's imaplib/poplib, imapflow.
// Each returns the exact message bytes it received (or their SHA-256 and size).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImapFlow } from 'imapflow';

const PYTHON_DIR = join(dirname(fileURLToPath(import.meta.url)), 'python');
const MAX_OUTPUT = 256 * 1024 * 1024;

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** execFile without a shell; stdout as bytes, and a readable error with stderr on failure. */
function run(command: string, args: string[], timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'buffer', maxBuffer: MAX_OUTPUT, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        const detail = stderr.toString('utf8').trim();
        reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}${detail ? `\n${detail}` : ''}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

export interface CurlOptions {
  caPath: string;
  user: string;
  password: string;
  /** --ssl-reqd: with imap:// or pop3:// URLs, require STARTTLS/STLS. */
  sslReqd?: boolean;
  extraArgs?: string[];
  timeoutMs?: number;
}

/**
 * curl's stdout for a URL, e.g. `imaps://localhost:PORT/INBOX;UID=2` (the message literal),
 * `pop3s://localhost:PORT/1` (the message, dot-stuffing undone), or with sslReqd
 * `imap://localhost:PORT/INBOX;UID=2`. Note: curl's IMAP fetch is `UID FETCH n BODY[]`,
 * which sets \Seen on the message.
 */
export function curlFetch(url: string, opts: CurlOptions): Promise<Buffer> {
  const args = [
    '--silent',
    '--show-error',
    '--max-time',
    String(Math.ceil((opts.timeoutMs ?? 30_000) / 1000)),
    '--cacert',
    opts.caPath,
    '--user',
    `${opts.user}:${opts.password}`,
    ...(opts.sslReqd ? ['--ssl-reqd'] : []),
    ...(opts.extraArgs ?? []),
    url,
  ];
  return run('curl', args, (opts.timeoutMs ?? 30_000) + 5_000);
}

export type PythonTlsMode = 'implicit' | 'starttls' | 'plain';

export interface PythonClientOptions {
  host: string;
  port: number;
  mode: PythonTlsMode;
  caPath: string;
  user: string;
  password: string;
  timeoutMs?: number;
}

export interface PythonImapMessage {
  uid: number;
  sha256: string;
  size: number;
}

export interface PythonPopMessage {
  n: number;
  sha256: string;
  size: number;
}

async function runPython<T>(script: string, o: PythonClientOptions): Promise<T> {
  const args = [join(PYTHON_DIR, script), o.host, String(o.port), o.mode, o.caPath, o.user, o.password];
  const stdout = await run('python3', args, o.timeoutMs ?? 60_000);
  try {
    return JSON.parse(stdout.toString('utf8')) as T;
  } catch {
    throw new Error(`${script} printed something that is not JSON: ${stdout.toString('utf8').slice(0, 500)}`);
  }
}

/** imaplib: every INBOX message via UID FETCH 1:* (UID BODY.PEEK[]), sorted by UID. */
export function pythonImap(o: PythonClientOptions): Promise<PythonImapMessage[]> {
  return runPython<PythonImapMessage[]>('imap_fetch_all.py', o);
}

/** imaplib in one process: `count` connections opened at once (threads), each fetching UID 1 with BODY.PEEK[]. */
export async function pythonImapConcurrent(o: Omit<PythonClientOptions, 'mode'>, count: number): Promise<{ sha256: string; size: number }[]> {
  const args = [join(PYTHON_DIR, 'imap_concurrent_fetch.py'), o.host, String(o.port), o.caPath, o.user, o.password, String(count)];
  return JSON.parse((await run('python3', args, o.timeoutMs ?? 60_000)).toString('utf8')) as { sha256: string; size: number }[];
}

/** poplib: RETR of every message; bytes rebuilt as CRLF-joined lines + CRLF (see the script). */
export function pythonPop(o: PythonClientOptions): Promise<PythonPopMessage[]> {
  return runPython<PythonPopMessage[]>('pop_retr_all.py', o);
}

export interface ImapflowOptions {
  host: string;
  port: number;
  /** Implicit TLS. */
  secure: boolean;
  /** With secure: false, true requires STARTTLS, false forbids it (imapflow's doSTARTTLS). */
  doSTARTTLS?: boolean;
  caPem: string;
  user: string;
  password: string;
  /** Certificate name to verify (and SNI); default 'localhost'. */
  servername?: string;
}

export interface FetchedMessage {
  uid: number;
  sha256: string;
  size: number;
  source: Buffer;
}

/**
 * An imapflow client over implicit TLS to 127.0.0.1:port, verifying `caPem` for 'localhost', connected and
 * logged in; no automatic IDLE; 'error' events are swallowed (a dropped socket would crash the test process).
 */
export async function connectImapflow(port: number, caPem: string, user = 'alice', password = 'secret', options: { clientName?: string } = {}): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: true,
    servername: 'localhost',
    tls: { ca: caPem, servername: 'localhost' },
    auth: { user, pass: password },
    logger: false,
    disableAutoIdle: true,
    ...(options.clientName ? { clientInfo: { name: options.clientName } } : {}),
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Message 1 of INBOX (by UID with `uid: true`, else by sequence number) fetched with BODY.PEEK[]; then logs out. */
export async function fetchFirstAndLogout(client: ImapFlow, options: { uid?: boolean } = {}): Promise<Buffer> {
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const message = await client.fetchOne('1', { source: true }, { uid: options.uid === true });
      assert.ok(message && message.source, 'fetched the message');
      return message.source;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** imapflow with `fetch('1:*', { uid: true, source: true }, { uid: true })` (BODY.PEEK[]) on INBOX. */
export async function imapflowFetchAll(o: ImapflowOptions): Promise<FetchedMessage[]> {
  const servername = o.servername ?? 'localhost';
  const client = new ImapFlow({
    host: o.host,
    port: o.port,
    secure: o.secure,
    doSTARTTLS: o.doSTARTTLS,
    servername,
    tls: { ca: o.caPem, servername },
    auth: { user: o.user, pass: o.password },
    logger: false,
    disableAutoIdle: true,
  });
  // Without a listener an 'error' event (e.g. a dropped socket) would crash the test process.
  let connectionError: Error | undefined;
  client.on('error', (err: Error) => {
    connectionError = err;
  });
  await client.connect();
  const out: FetchedMessage[] = [];
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const mailbox = client.mailbox;
      if (mailbox && mailbox.exists > 0) {
        for await (const msg of client.fetch('1:*', { uid: true, source: true }, { uid: true })) {
          if (!msg.source) throw new Error(`imapflow returned no source for UID ${msg.uid}`);
          out.push({ uid: msg.uid, sha256: sha256(msg.source), size: msg.source.length, source: msg.source });
        }
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  if (connectionError) throw connectionError;
  return out.sort((a, b) => a.uid - b.uid);
}
