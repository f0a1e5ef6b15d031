// Throwaway real c-icap for integration tests: its own temp dir (config, pid, logs, temp files),
// loopback TCP port, and the virus_scan service backed by a throwaway clamd from ./clamd.ts, reached
// through clamd's Unix socket (clamd_mod passes the scanned file's descriptor with FILDES).
//
//   const icap = await startCIcap();                 // clamd with the shipped test signatures
//   ... icap.url ('icap://127.0.0.1:PORT/avscan'), icap.port ...
//   await icap.stop();                               // stops c-icap, then its clamd
//
// As a script: `node --import tsx scripts/test-servers/c-icap.ts` starts one, prints its addresses as
// JSON and runs until Ctrl-C.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClamd, type ClamdOptions, type ClamdServer } from './clamd.js';
import { findCommand } from './find-command.js';
import { startOnFreePort } from './start-on-free-port.js';
import { isMainModule, runUntilInterrupted, spawnServer, tailFile, type RunningServer } from './server-process.js';
import { accepts, tempRoot } from './local-socket.js';

export const C_ICAP_PACKAGES = 'c-icap libc-icap-mod-virus-scan';
/** Where c-icap's modules and the virus_scan service may live: Debian's multiarch dir, or a plain lib dir. */
const LIB_ROOTS = ['/usr/lib', '/usr/local/lib', '/usr/lib64'];
const TEMPLATE_DIR = '/usr/share/c_icap/templates/';
const MAGIC_FILE = '/etc/c-icap/c-icap.magic';

const HOST = '127.0.0.1';
/**
 * The alias Debian's virus_scan.conf defines for ICAP antivirus clients: virus_scan in simple mode
 * (scan the whole object, then answer: 204, or 200 with X-Infection-Found), no size limit.
 * Its default mode instead streams the object back while it arrives and, on a virus, cuts the body
 * short without naming the threat (the backend then says 'suspicious'); that mode is kept as
 * C_ICAP_STREAMING_SERVICE ('srv_clamav', the other alias Debian ships).
 */
export const C_ICAP_SERVICE = 'avscan';
export const C_ICAP_STREAMING_SERVICE = 'srv_clamav';

export interface CIcapOptions {
  /** Options for the clamd behind virus_scan. */
  clamd?: ClamdOptions;
  /** c-icap.conf lines to add or replace, e.g. { 'virus_scan.MaxObjectSize': '1M' }. */
  config?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface CIcapServer {
  host: '127.0.0.1';
  port: number;
  /** icap://127.0.0.1:PORT/avscan (simple mode) */
  url: string;
  /** icap://127.0.0.1:PORT/srv_clamav (virus_scan's default, streaming mode) */
  streamingUrl: string;
  dir: string;
  configPath: string;
  serverLogPath: string;
  accessLogPath: string;
  pid: number;
  clamd: ClamdServer;
  /** SIGTERM c-icap (SIGKILL after 5 s), stop clamd, remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export function cIcapBinary(): string | undefined {
  return findCommand('c-icap');
}

/** The directory holding virus_scan.so and clamd_mod.so (libc-icap-mod-virus-scan), if installed. */
export function cIcapModulesDir(): string | undefined {
  const candidates = LIB_ROOTS.flatMap((root) => {
    const nested = existsSync(root) ? readdirSync(root).map((name) => join(root, name, 'c_icap')) : [];
    return [join(root, 'c_icap'), ...nested];
  });
  return candidates.find((dir) => existsSync(join(dir, 'virus_scan.so')) && existsSync(join(dir, 'clamd_mod.so')));
}

export function cIcapConfig(input: { dir: string; port: number; clamdSocket: string; modulesDir: string; overrides?: Record<string, string> }): string {
  const { dir } = input;
  const options: Record<string, string> = {
    PidFile: `${dir}/c-icap.pid`,
    CommandsSocket: `${dir}/c-icap.ctl`,
    Port: `${HOST}:${input.port}`,
    TmpDir: `${dir}/tmp`,
    ServerLog: `${dir}/server.log`,
    AccessLog: `${dir}/access.log`,
    Timeout: '60',
    StartServers: '1',
    MaxServers: '2',
    MinSpareThreads: '2',
    MaxSpareThreads: '8',
    ThreadsPerChild: '8',
    MaxMemObject: '131072',
    DebugLevel: '1',
    // Anonymous mmap instead of named POSIX shared memory, so that instances never meet.
    InterProcessSharedMemScheme: 'mmap',
    ModulesDir: input.modulesDir,
    ServicesDir: input.modulesDir,
    TemplateDir: TEMPLATE_DIR,
    TemplateDefaultLanguage: 'en',
    LoadMagicFile: MAGIC_FILE,
    'clamd_mod.ClamdSocket': input.clamdSocket,
    // Every type c-icap.magic knows, so that nothing passes unscanned for its type.
    'virus_scan.ScanFileTypes': 'TEXT DATA EXECUTABLE ARCHIVE GRAPHICS STREAM DOCUMENT',
    'virus_scan.SendPercentData': '0',
    'virus_scan.MaxObjectSize': '50M',
    'virus_scan.DefaultEngine': 'clamd',
    ...input.overrides,
  };
  // Module and service lines must come before their settings; c-icap reads the file top to bottom.
  const loads = [
    'Module common clamd_mod.so',
    'Service antivirus_module virus_scan.so',
    `ServiceAlias ${C_ICAP_STREAMING_SERVICE} virus_scan`,
    `ServiceAlias ${C_ICAP_SERVICE} virus_scan?allow204=on&sizelimit=off&mode=simple`,
  ];
  const [core, modules] = [Object.entries(options).filter(([k]) => !k.includes('.')), Object.entries(options).filter(([k]) => k.includes('.'))];
  return `${[...core.map(([k, v]) => `${k} ${v}`), ...loads, ...modules.map(([k, v]) => `${k} ${v}`)].join('\n')}\n`;
}



export async function startCIcap(opts: CIcapOptions = {}): Promise<CIcapServer> {
  const binary = cIcapBinary();
  if (!binary) throw new Error(`c-icap is not installed (apt-get install ${C_ICAP_PACKAGES})`);
  const modulesDir = cIcapModulesDir();
  if (!modulesDir) throw new Error(`c-icap's virus_scan service is not installed (apt-get install libc-icap-mod-virus-scan)`);
  const clamd = await startClamd(opts.clamd);
  const dir = mkdtempSync(join(tempRoot(), 'ig-c-icap-'));
  let running: RunningServer | undefined;
  try {
    mkdirSync(join(dir, 'tmp'));
    const configPath = join(dir, 'c-icap.conf');
    const serverLogPath = join(dir, 'server.log');
    const accessLogPath = join(dir, 'access.log');
    const outputPath = join(dir, 'c-icap.stdout');
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
    const { server, port } = await startOnFreePort({
      name: 'c-icap',
      host: HOST,
      deadline,
      spawn: (port) => {
        writeFileSync(configPath, cIcapConfig({ dir, port, clamdSocket: clamd.socketPath, modulesDir, overrides: opts.config }));
        for (const path of [serverLogPath, accessLogPath, outputPath]) writeFileSync(path, '');
        // -N: stay in the foreground as our child; -f: our config only.
        return spawnServer(binary, ['-N', '-f', configPath], outputPath, dir);
      },
      serves: accepts,
      describe: () => `--- ${serverLogPath} (tail) ---\n${tailFile(serverLogPath)}\n--- c-icap stdout/stderr (tail) ---\n${tailFile(outputPath)}`,
      addressInUse: /address already in use|bind/i,
    });
    running = server;
    let stopping: Promise<void> | undefined;
    return {
      host: HOST,
      port,
      url: `icap://${HOST}:${port}/${C_ICAP_SERVICE}`,
      streamingUrl: `icap://${HOST}:${port}/${C_ICAP_STREAMING_SERVICE}`,
      dir,
      configPath,
      serverLogPath,
      accessLogPath,
      pid: server.pid,
      clamd,
      stop: () => {
        stopping ??= server
          .stop()
          .finally(() => rmSync(dir, { recursive: true, force: true }))
          .finally(() => clamd.stop());
        return stopping;
      },
    };
  } catch (err) {
    if (running) await running.stop();
    rmSync(dir, { recursive: true, force: true });
    await clamd.stop();
    throw err;
  }
}

if (isMainModule(import.meta.url)) {
  void runUntilInterrupted('c-icap', async () => {
    const icap = await startCIcap();
    const info = {
      host: icap.host,
      port: icap.port,
      url: icap.url,
      dir: icap.dir,
      log: icap.serverLogPath,
      clamd: { socketPath: icap.clamd.socketPath, log: icap.clamd.logPath },
      try: `c-icap-client -i ${icap.host} -p ${icap.port} -s ${C_ICAP_SERVICE} -f FILE -v`,
    };
    return { info, stop: () => icap.stop() };
  });
}
