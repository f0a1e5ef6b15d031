// Throwaway real redis-server for integration tests and benchmarks: its own temp dir, a loopback port,
// an append-only file so that a stopped server comes back with its data, and optionally a password
// and TLS (a test CA and server certificate from ./test-ca.ts; Debian's redis-server is built with TLS).
//
//   const redis = await startRedis({ password: 's3cret', tls: true });
//   ... redis.url ('rediss://:s3cret@127.0.0.1:PORT/0'), redis.caPath ...
//   await redis.stop();      // the server is gone, its data kept: redis.start() brings it back on the same port
//   await redis.remove();    // stops it and removes the temp dir
//
// As a script: `node --import tsx scripts/test-servers/redis.ts [--tls] [--password P]` starts one,
// prints its address as JSON and runs until Ctrl-C.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findCommand } from './find-command.js';
import { startOnFreePort } from './start-on-free-port.js';
import { isMainModule, runUntilInterrupted, spawnServer, tailFile, type RunningServer } from './server-process.js';
import { makeTestPki, type TestPki } from './test-ca.js';
import { accepts, tempRoot } from './local-socket.js';

export const REDIS_PACKAGES = 'redis-server';
const HOST = '127.0.0.1';

export interface RedisOptions {
  /** requirepass; the URL then carries it. */
  password?: string;
  /** Serve TLS only (rediss://), with a server certificate signed by a test CA (caPath). */
  tls?: boolean;
  startTimeoutMs?: number;
}

export interface RedisServer {
  host: '127.0.0.1';
  port: number;
  /** redis://[:password@]127.0.0.1:PORT/0, or rediss://… with tls. */
  url: string;
  /** The address without the password. */
  urlWithoutPassword: string;
  /** With tls: the test CA that signed the server certificate. */
  caPath?: string;
  dir: string;
  logPath: string;
  pid(): number;
  /** Stops the server (SIGTERM), keeping its data and port for start(). */
  stop(): Promise<void>;
  /** Starts a stopped server again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its temp dir. Safe to call twice. */
  remove(): Promise<void>;
}

export function redisBinary(): string | undefined {
  return findCommand('redis-server');
}

function redisArgs(dir: string, port: number, options: RedisOptions, pki: TestPki | undefined): string[] {
  const args = [
    '--bind', HOST,
    '--dir', dir,
    '--logfile', join(dir, 'redis.log'),
    '--pidfile', join(dir, 'redis.pid'),
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', 'yes',
    '--appendfsync', 'always',
    '--protected-mode', 'no',
  ];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  if (pki) {
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', pki.certPath, '--tls-key-file', pki.keyPath, '--tls-ca-cert-file', pki.caPath, '--tls-auth-clients', 'no');
  } else {
    args.push('--port', String(port));
  }
  return args;
}


export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const binary = redisBinary();
  if (!binary) throw new Error(`redis-server is not installed (apt-get install ${REDIS_PACKAGES})`);
  const dir = mkdtempSync(join(tempRoot(), 'ig-redis-'));
  const logPath = join(dir, 'redis.log');
  const outputPath = join(dir, 'redis.stdout');
  const timeout = options.startTimeoutMs ?? 20_000;
  try {
    const pki = options.tls ? await makeTestPki(join(dir, 'pki')) : undefined;
    const describe = (): string => `--- ${logPath} (tail) ---\n${tailFile(logPath)}\n--- redis-server stdout/stderr (tail) ---\n${tailFile(outputPath)}`;
    const spawnOn = (port: number): RunningServer => {
      writeFileSync(outputPath, '');
      return spawnServer(binary, redisArgs(dir, port, options, pki), outputPath, dir);
    };
    const first = await startOnFreePort({
      name: 'redis-server',
      host: HOST,
      deadline: Date.now() + timeout,
      spawn: spawnOn,
      serves: accepts,
      describe,
      addressInUse: /address already in use/i,
    });
    let running: RunningServer | undefined = first.server;
    const port = first.port;
    const scheme = options.tls ? 'rediss' : 'redis';
    const auth = options.password !== undefined ? `:${encodeURIComponent(options.password)}@` : '';
    let removing: Promise<void> | undefined;
    return {
      host: HOST,
      port,
      url: `${scheme}://${auth}${HOST}:${port}/0`,
      urlWithoutPassword: `${scheme}://${HOST}:${port}/0`,
      caPath: pki?.caPath,
      dir,
      logPath,
      pid: () => running?.pid ?? 0,
      stop: async () => {
        const server = running;
        running = undefined;
        await server?.stop();
      },
      start: async () => {
        if (running) return;
        const server = spawnOn(port);
        running = server;
        const deadline = Date.now() + timeout;
        while (!(await accepts(port))) {
          if (server.hasExited()) throw new Error(`redis-server did not come back on port ${port} (${await server.exited}).\n${describe()}`);
          if (Date.now() > deadline) throw new Error(`redis-server did not come back on port ${port} in time.\n${describe()}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      remove: () => {
        removing ??= (async () => {
          const server = running;
          running = undefined;
          await server?.stop();
          rmSync(dir, { recursive: true, force: true });
        })();
        return removing;
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

if (isMainModule(import.meta.url)) {
  const argv = process.argv.slice(2);
  const passwordAt = argv.indexOf('--password');
  void runUntilInterrupted('redis-server', async () => {
    const redis = await startRedis({ tls: argv.includes('--tls'), password: passwordAt >= 0 ? argv[passwordAt + 1] : undefined });
    const info = { url: redis.url, caPath: redis.caPath, dir: redis.dir, log: redis.logPath, try: `redis-cli -p ${redis.port}${redis.caPath ? ` --tls --cacert ${redis.caPath}` : ''} ping` };
    return { info, stop: () => redis.remove() };
  });
}
