// Throwaway real clamd for integration tests and benchmarks: its own temp dir, config, database,
// loopback TCP port and Unix socket, so that several can run at once.
//
//   const clamd = await startClamd();                          // shipped test signatures
//   const clamd = await startClamd({ signatureFiles: { 'x.ndb': '...' }, config: RAW_SCANNING });
//   ... clamd.port, clamd.socketPath ...
//   await clamd.stop();
//
// As a script: `node --import tsx scripts/test-servers/clamd.ts` starts one with the shipped
// signatures, prints its addresses as JSON and runs until Ctrl-C.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { shippedSignatureDir } from '../../src/scan/engines/builtin/signatures/shipped-signature-dir.js';
import { clamdConfig, DEFAULT_STREAM_MAX_LENGTH, parseClamdSize } from './clamd-config.js';
import { pingClamd } from './clamd-ping.js';
import { isMainModule, runUntilInterrupted, spawnServer, tailFile, type RunningServer } from './server-process.js';
import { testfileHashSignatures } from './clamd-testfiles.js';
import { findCommand } from './find-command.js';
import { startOnFreePort } from './start-on-free-port.js';
import { tempRoot } from './local-socket.js';

export { RAW_SCANNING } from './clamd-config.js';
export { CLAMAV_TESTFILES_DIR, CLAMAV_TESTFILES_PACKAGE, clamavTestfiles, testfileHashSignatures } from './clamd-testfiles.js';

export const CLAMD_PACKAGES = 'clamav-daemon clamdscan';

export interface ClamdOptions {
  /** Database files by name (e.g. { 'test.ndb': '...' }); default: the shipped src/scan/signatures files. */
  signatureFiles?: Record<string, string>;
  /** Also write testfiles.hdb: the raw MD5 of every clamav-testfiles sample (Testfile.<name>). */
  loadTestfiles?: boolean;
  /** clamd.conf options to add or replace, e.g. { StreamMaxLength: '1M' } or RAW_SCANNING. */
  config?: Record<string, string>;
  /** How long loading the database and answering PING may take; default 60 s. */
  startTimeoutMs?: number;
}

export interface ClamdServer {
  host: '127.0.0.1';
  port: number;
  socketPath: string;
  dir: string;
  dbDir: string;
  configPath: string;
  logPath: string;
  pid: number;
  /** StreamMaxLength in bytes. */
  streamMaxLength: number;
  /** SIGTERM, wait (SIGKILL after 5 s), remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_SOCKET_PATH = 100;

export function clamdBinary(): string | undefined {
  return findCommand('clamd');
}


function shippedSignatureFiles(): Record<string, string> {
  const dir = shippedSignatureDir();
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)) if (/\.(hdb|hsb|ndb)$/.test(name)) files[name] = readFileSync(join(dir, name), 'utf8');
  return files;
}

function writeDatabase(dbDir: string, opts: ClamdOptions): void {
  const files = { ...(opts.signatureFiles ?? shippedSignatureFiles()) };
  if (opts.loadTestfiles) files['testfiles.hdb'] = testfileHashSignatures();
  if (Object.keys(files).length === 0) throw new Error('startClamd: clamd refuses to start without signatures; give at least one signature file');
  for (const [name, text] of Object.entries(files)) {
    if (basename(name) !== name || name.startsWith('.')) throw new Error(`startClamd: '${name}' is not a plain file name`);
    writeFileSync(join(dbDir, name), text);
  }
}

export async function startClamd(opts: ClamdOptions = {}): Promise<ClamdServer> {
  const binary = clamdBinary();
  if (!binary) throw new Error(`clamd is not installed (apt-get install ${CLAMD_PACKAGES})`);
  const dir = mkdtempSync(join(tempRoot(), 'ig-clamd-'));
  let running: RunningServer | undefined;
  try {
    const dbDir = join(dir, 'db');
    mkdirSync(dbDir);
    mkdirSync(join(dir, 'tmp'));
    writeDatabase(dbDir, opts);
    const socketPath = join(dir, 'clamd.sock');
    if (socketPath.length >= MAX_SOCKET_PATH) throw new Error(`startClamd: socket path too long: ${socketPath}`);
    const configPath = join(dir, 'clamd.conf');
    const logPath = join(dir, 'clamd.log');
    const outputPath = join(dir, 'clamd.stdout');
    const streamMaxLength = parseClamdSize(opts.config?.StreamMaxLength ?? DEFAULT_STREAM_MAX_LENGTH);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    const started = await startOnFreePort({
      name: 'clamd',
      host: HOST,
      deadline,
      spawn: (port) => {
        writeFileSync(configPath, clamdConfig({ dir, port, socketPath, overrides: opts.config }));
        writeFileSync(logPath, '');
        writeFileSync(outputPath, '');
        return spawnServer(binary, ['-c', configPath], outputPath, dir);
      },
      serves: () => pingClamd(socketPath, 1000),
      describe: () => `--- ${logPath} (tail) ---\n${tailFile(logPath)}\n--- clamd stdout/stderr (tail) ---\n${tailFile(outputPath)}`,
      addressInUse: /already in use|bind\(\) failed|Can't bind/i,
    });
    const { server, port } = started;
    running = server;
    let stopping: Promise<void> | undefined;
    return {
      host: HOST,
      port,
      socketPath,
      dir,
      dbDir,
      configPath,
      logPath,
      pid: server.pid,
      streamMaxLength,
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
  void runUntilInterrupted('clamd', async () => {
    const clamd = await startClamd();
    const info = {
      host: clamd.host,
      port: clamd.port,
      socketPath: clamd.socketPath,
      dir: clamd.dir,
      log: clamd.logPath,
      try: `clamdscan -c ${clamd.configPath} --stream FILE`,
    };
    return { info, stop: () => clamd.stop() };
  });
}
