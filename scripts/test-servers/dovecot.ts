// Throwaway real Dovecot (IMAP, IMAPS, POP3, POP3S, STARTTLS/STLS) for integration tests and
// benchmarks. Each call gets its own temp dir, ports, instance name and test PKI, so several
// test files can run their own servers at once.
//
//   const dovecot = await startDovecot({ messages: { alice: [msg1, msg2] } });
//   ... dovecot.ports.imaps, dovecot.caPem ...
//   await dovecot.stop();
//
// As a script: `node --import tsx scripts/test-servers/dovecot.ts` starts one with sample mail,
// prints its ports and CA path as JSON and runs until Ctrl-C.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  dovecotConfig,
  MAIL_GID,
  MAIL_UID,
  userHome,
  usersFile,
  validateUsers,
  type DovecotPorts,
  type DovecotUser,
} from './dovecot-config.js';
import { isMainModule, runUntilInterrupted, spawnServer, tailFile, type RunningServer } from './server-process.js';
import { findCommand } from './find-command.js';
import { freePorts } from './free-ports.js';
import { readGreeting } from './greeting.js';
import { deliver, ensureMailbox } from './maildir.js';
import { makeTestPki, type CertKind, type TestPki } from './test-ca.js';
import { tempRoot } from './local-socket.js';

export type { CertKind } from './test-ca.js';
export type { DovecotPorts, DovecotUser } from './dovecot-config.js';

export const DOVECOT_PACKAGES = 'dovecot-imapd dovecot-pop3d';

/** Makes Dovecot advertise COMPRESS=DEFLATE (RFC 4978), which the proxy must hide from clients. */
export const COMPRESS_DEFLATE_CONFIG = `protocol imap {
  mail_plugins = $mail_plugins imap_zlib
}
`;

export interface DovecotOptions {
  /** Mail users; default alice/secret. */
  users?: DovecotUser[];
  /** Which server certificate to present; default 'valid'. */
  certKind?: CertKind;
  /** Messages to put in each user's INBOX before the server starts, in UID order. */
  messages?: Record<string, Buffer[]>;
  /** Dovecot configuration appended to the generated file (e.g. COMPRESS_DEFLATE_CONFIG). */
  extraConfig?: string;
  /** Dovecot's `listen` (comma-separated addresses); default 127.0.0.1. Must include 127.0.0.1, where readiness is checked. */
  listen?: string;
  /** Concurrent sessions of one user the server must hold (raises Dovecot's process and connection limits); default 1000. */
  maxSessions?: number;
  /** How long to wait for all four listeners to greet; default 10 s. */
  startTimeoutMs?: number;
  /**
   * Picks [imap, imaps, pop3, pop3s]; default: four free loopback ports. Called again after
   * "Address already in use" (up to 5 attempts). Only the harness self-test needs to set it.
   */
  pickPorts?: () => Promise<number[]>;
}

export interface DovecotServer {
  dir: string;
  host: '127.0.0.1';
  ports: DovecotPorts;
  /** The test CA to trust (for certKind 'untrusted' it did not sign the server certificate). */
  caPath: string;
  caPem: string;
  pki: TestPki;
  users: DovecotUser[];
  configPath: string;
  logPath: string;
  instanceName: string;
  pid: number;
  /** Delivers messages (CRLF line endings expected) into a mailbox; UIDs follow the order given. */
  seed(user: string, messages: Buffer[], mailbox?: string): void;
  /** Runs `doveadm -c CONF ARGS` (stdin optional) and returns stdout. */
  doveadm(args: string[], stdin?: Buffer): Promise<string>;
  /** SIGTERM, wait (SIGKILL after 5 s), remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_USERS: DovecotUser[] = [{ name: 'alice', password: 'secret' }];
const HOST = '127.0.0.1';
const MAX_ATTEMPTS = 5;
let instanceCounter = 0;


export function dovecotBinary(): string | undefined {
  return findCommand('dovecot');
}

function requireRootAndBinary(): string {
  const binary = dovecotBinary();
  if (!binary) throw new Error(`dovecot is not installed (apt-get install ${DOVECOT_PACKAGES})`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('startDovecot must run as root: Dovecot switches to uid 65534 for the mail users and to dovenull for logins');
  }
  return binary;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class AddressInUse extends Error {}

/** Waits until all four listeners greet with this instance's greeting. */
async function waitUntilReady(
  running: RunningServer,
  ports: DovecotPorts,
  greeting: string,
  deadline: number,
  describeFailure: () => string,
): Promise<void> {
  const checks: Array<{ port: number; tls: boolean; prefix: string }> = [
    { port: ports.imap, tls: false, prefix: '* OK ' },
    { port: ports.imaps, tls: true, prefix: '* OK ' },
    { port: ports.pop3, tls: false, prefix: '+OK ' },
    { port: ports.pop3s, tls: true, prefix: '+OK ' },
  ];
  const pending = new Set(checks);
  let lastProblem = 'not tried yet';
  // A master that dies (e.g. a port was taken) must not leave us waiting on a silent socket.
  const masterGone = new AbortController();
  void running.exited.then(() => masterGone.abort());
  while (pending.size > 0) {
    if (running.hasExited()) {
      const why = describeFailure();
      if (/Address already in use/i.test(why)) throw new AddressInUse(why);
      throw new Error(`dovecot exited during start-up (${await running.exited}).\n${why}`);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(`dovecot did not become ready in time (last problem: ${lastProblem}).\n${describeFailure()}`);
    }
    await Promise.all(
      [...pending].map(async (check) => {
        try {
          const line = await readGreeting({
            host: HOST,
            port: check.port,
            tls: check.tls,
            timeoutMs: Math.min(remaining, 2000),
            signal: masterGone.signal,
          });
          if (line.startsWith(check.prefix) && line.includes(greeting)) pending.delete(check);
          else lastProblem = `port ${check.port} greeted '${line}' (another server owns it?)`;
        } catch (err) {
          lastProblem = `port ${check.port}: ${(err as Error).message}`;
        }
      }),
    );
    if (pending.size > 0) await sleep(15);
  }
  if (running.hasExited()) throw new Error(`dovecot exited right after start-up.\n${describeFailure()}`);
}

function doveadmRunner(configPath: string): (args: string[], stdin?: Buffer) => Promise<string> {
  const binary = findCommand('doveadm');
  return (args, stdin) =>
    new Promise((resolve, reject) => {
      if (!binary) {
        reject(new Error(`doveadm is not installed (apt-get install ${DOVECOT_PACKAGES})`));
        return;
      }
      const child = execFile(binary, ['-c', configPath, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`doveadm ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
      child.stdin?.end(stdin ?? Buffer.alloc(0));
    });
}

export async function startDovecot(opts: DovecotOptions = {}): Promise<DovecotServer> {
  const binary = requireRootAndBinary();
  const users = (opts.users ?? DEFAULT_USERS).map((u) => ({ ...u }));
  validateUsers(users);
  if (users.length === 0) throw new Error('startDovecot: at least one user is needed');
  for (const name of Object.keys(opts.messages ?? {})) {
    if (!users.some((u) => u.name === name)) throw new Error(`startDovecot: messages given for unknown user '${name}'`);
  }

  const dir = mkdtempSync(join(tempRoot(), 'inboxguard-dovecot-'));
  let running: RunningServer | undefined;
  try {
    // Dovecot's unprivileged processes (auth as 'dovecot', mail as 65534) must reach files here.
    chmodSync(dir, 0o755);
    const pki = await makeTestPki(join(dir, 'tls'), opts.certKind ?? 'valid');
    const configPath = join(dir, 'dovecot.conf');
    const logPath = join(dir, 'dovecot.log');
    const outputPath = join(dir, 'dovecot.stdout');
    const instanceName = `inboxguard-test-${process.pid}-${++instanceCounter}-${randomBytes(3).toString('hex')}`;
    writeFileSync(join(dir, 'users'), usersFile(dir, users), { mode: 0o644 });
    mkdirSync(join(dir, 'mail'), { mode: 0o755 });
    for (const user of users) {
      const home = userHome(dir, user.name);
      mkdirSync(home, { mode: 0o700 });
      chownSync(home, MAIL_UID, MAIL_GID);
      ensureMailbox(join(home, 'Maildir'), 'INBOX');
    }
    const seed = (user: string, messages: Buffer[], mailbox = 'INBOX'): void => {
      if (!users.some((u) => u.name === user)) throw new Error(`seed: unknown user '${user}'`);
      deliver(join(userHome(dir, user), 'Maildir'), messages, mailbox);
    };
    for (const [user, messages] of Object.entries(opts.messages ?? {})) seed(user, messages);

    const greeting = `inboxguard test dovecot ${instanceName} ready.`;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
    const pickPorts = opts.pickPorts ?? (() => freePorts(4, HOST));
    let ports: DovecotPorts | undefined;
    for (let attempt = 1; ; attempt++) {
      const picked = await pickPorts();
      if (picked.length !== 4 || !picked.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) {
        throw new Error(`startDovecot: pickPorts must return 4 TCP ports, got ${JSON.stringify(picked)}`);
      }
      const [imap, imaps, pop3, pop3s] = picked;
      ports = { imap, imaps, pop3, pop3s };
      const config = dovecotConfig({ dir, instanceName, ports, certPath: pki.certPath, keyPath: pki.keyPath, extraConfig: opts.extraConfig, listen: opts.listen, maxSessions: opts.maxSessions });
      writeFileSync(configPath, `${config}login_greeting = ${greeting}\n`);
      // Fresh logs per attempt, so a failure is judged (and reported) by this attempt's lines.
      writeFileSync(logPath, '');
      writeFileSync(outputPath, '');
      running = spawnServer(binary, ['-c', configPath, '-F'], outputPath, dir);
      const describe = (): string =>
        `--- ${logPath} (tail) ---\n${tailFile(logPath)}\n--- dovecot stdout/stderr (tail) ---\n${tailFile(outputPath)}`;
      try {
        await waitUntilReady(running, ports, greeting, deadline, describe);
        break;
      } catch (err) {
        await running.stop();
        running = undefined;
        if (!(err instanceof AddressInUse)) throw err;
        if (attempt >= MAX_ATTEMPTS) throw new Error(`dovecot: ports still in use after ${attempt} attempts.\n${err.message}`);
      }
    }

    const server = running;
    let stopping: Promise<void> | undefined;
    return {
      dir,
      host: HOST,
      ports,
      caPath: pki.caPath,
      caPem: pki.caPem,
      pki,
      users,
      configPath,
      logPath,
      instanceName,
      pid: server.pid,
      seed,
      doveadm: doveadmRunner(configPath),
      stop: () => {
        stopping ??= server.stop().finally(() => rmSync(dir, { recursive: true, force: true }));
        return stopping;
      },
    };
  } catch (err) {
    if (running) await running.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

if (isMainModule(import.meta.url)) {
  void runUntilInterrupted('dovecot', async () => {
    const { mixedMailbox } = await import('../../test/helpers/messages.js');
    const dovecot = await startDovecot({ messages: { alice: mixedMailbox(6) } });
    const info = {
      host: dovecot.host,
      ports: dovecot.ports,
      caPath: dovecot.caPath,
      users: dovecot.users,
      dir: dovecot.dir,
      log: dovecot.logPath,
      try: `curl --cacert ${dovecot.caPath} -u alice:secret 'imaps://localhost:${dovecot.ports.imaps}/INBOX;UID=1'`,
    };
    return { info, stop: () => dovecot.stop() };
  });
}
