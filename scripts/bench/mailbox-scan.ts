// The mailbox scan (#16) against fetching the same mailbox with imapflow alone, in the same run: a real
// Dovecot INBOX of 1,000 messages (log-uniform sizes), read over IMAPS with BODY.PEEK[]. Each side runs
// in its own child process, so its peak RSS is its own; the scan is timed from its start to its
// summary (process start-up and engine loading are reported apart), with a fresh data dir each run.
//
//   node --import tsx scripts/bench/mailbox-scan.ts [--messages 1000] [--min-kb 1] [--max-kb 128] [--runs 1] [--concurrency 1]
//   (--concurrency 1,2 also times the scan with 2 worker threads)
//
// Prints JSON: msgs/s and MB/s of each side, the ratio scan/imapflow (target >= 0.8), peak RSS of
// each side next to the largest message. Only ratios from one run on one machine mean anything.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ImapFlow } from 'imapflow';
import { startDovecot } from '../test-servers/dovecot.js';
import { benchMailbox, median } from './mailbox.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000' },
    'min-kb': { type: 'string', default: '1' },
    'max-kb': { type: 'string', default: '128' },
    runs: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1' },
    // Child modes (internal).
    child: { type: 'string' },
    port: { type: 'string' },
    ca: { type: 'string' },
    'data-dir': { type: 'string' },
  },
});

const PASSWORD = 'bench-secret';
const MB = 1024 * 1024;

interface ChildResult {
  messages: number;
  bytes: number;
  ms: number;
  startupMs: number;
  /** CPU time (user + system) of the measured phase: on a busy machine wall time also counts waiting for a core. */
  cpuMs: number;
  maxRssKb: number;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function imapflowAlone(port: number, caPath: string): Promise<ChildResult> {
  const started = performance.now();
  const { readFileSync } = await import('node:fs');
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: true, tls: { ca: readFileSync(caPath, 'utf8') }, auth: { user: 'bench', pass: PASSWORD }, logger: false, disableAutoIdle: true });
  const fetchStart = performance.now();
  const cpu = process.cpuUsage();
  await client.connect();
  let messages = 0;
  let bytes = 0;
  const lock = await client.getMailboxLock('INBOX', { readOnly: true });
  try {
    for await (const message of client.fetch('1:*', { uid: true, source: true }, { uid: true })) {
      messages++;
      bytes += message.source?.length ?? 0;
    }
  } finally {
    lock.release();
  }
  await client.logout();
  return { messages, bytes, ms: performance.now() - fetchStart, startupMs: fetchStart - started, cpuMs: cpuMsSince(cpu), maxRssKb: process.resourceUsage().maxRSS };
}

async function mailboxScan(port: number, caPath: string, dataDir: string, concurrency: number): Promise<ChildResult> {
  const started = performance.now();
  const { readFileSync } = await import('node:fs');
  const { configSchema } = await import('../../src/config/schema.js');
  const { runMailboxScan } = await import('../../src/mailbox/mailbox-scan.js');
  const silent = { start() {}, folderStart() {}, message() {}, folderEnd() {}, stop() {} };
  const scanStart = performance.now();
  const cpu = process.cpuUsage();
  const summary = await runMailboxScan({
    connection: { host: '127.0.0.1', port, tls: 'implicit', extraCa: readFileSync(caPath), user: 'bench', secret: { password: PASSWORD } },
    options: { folders: { all: false, patterns: ['INBOX'] }, action: 'log', dryRun: false, concurrency, quarantineFolder: 'Quarantine', stripMovesOriginal: false, restart: false },
    config: configSchema.parse({ scan: { engines: ['builtin'] } }),
    dataDir,
    progress: silent,
    signal: new AbortController().signal,
  });
  const folder = summary.folders[0];
  return { messages: folder.scanned, bytes: folder.bytes, ms: performance.now() - scanStart, startupMs: scanStart - started, cpuMs: cpuMsSince(cpu), maxRssKb: process.resourceUsage().maxRSS };
}

function runChild(args: string[]): Promise<ChildResult> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, self, ...args], { maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ChildResult);
    });
  });
}

function rates(results: ChildResult[]) {
  const ms = median(results.map((result) => result.ms));
  const { messages, bytes } = results[0];
  return {
    messages,
    megabytes: Number((bytes / MB).toFixed(1)),
    seconds: Number((ms / 1000).toFixed(2)),
    messagesPerSecond: Number((messages / (ms / 1000)).toFixed(0)),
    megabytesPerSecond: Number((bytes / MB / (ms / 1000)).toFixed(1)),
    cpuSeconds: Number((median(results.map((result) => result.cpuMs)) / 1000).toFixed(2)),
    startupSeconds: Number((median(results.map((result) => result.startupMs)) / 1000).toFixed(2)),
    peakRssMb: Number((Math.max(...results.map((result) => result.maxRssKb)) / 1024).toFixed(0)),
  };
}

async function main(): Promise<void> {
  const count = Number(values.messages);
  const mailbox = benchMailbox(count, Number(values['min-kb']) * 1024, Number(values['max-kb']) * 1024);
  const largest = Math.max(...mailbox.map((message) => message.length));
  const server = await startDovecot({ users: [{ name: 'bench', password: PASSWORD }], messages: { bench: mailbox } });
  const dirs: string[] = [];
  try {
    const port = String(server.ports.imaps);
    const concurrencies = (values.concurrency ?? '1').split(',').map(Number);
    const direct: ChildResult[] = [];
    const scans = new Map<number, ChildResult[]>(concurrencies.map((concurrency) => [concurrency, []]));
    // Interleaved, so that a slower phase of the machine hits both sides.
    for (let run = 0; run < Number(values.runs); run++) {
      direct.push(await runChild(['--child', 'imapflow', '--port', port, '--ca', server.caPath]));
      for (const concurrency of concurrencies) {
        const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-bench-mailbox-'));
        dirs.push(dataDir);
        scans.get(concurrency)?.push(await runChild(['--child', `scan:${concurrency}`, '--port', port, '--ca', server.caPath, '--data-dir', dataDir]));
      }
    }
    const imapflow = rates(direct);
    const mailboxScans = [...scans].map(([concurrency, results]) => {
      const scan = rates(results);
      return {
        concurrency,
        ...scan,
        ratioToImapflow: Number((scan.megabytesPerSecond / imapflow.megabytesPerSecond).toFixed(2)),
        cpuPerMessageMs: Number(((scan.cpuSeconds * 1000) / scan.messages).toFixed(2)),
        imapflowCpuPerMessageMs: Number(((imapflow.cpuSeconds * 1000) / imapflow.messages).toFixed(2)),
      };
    });
    console.log(JSON.stringify({ mailbox: { messages: count, megabytes: Number((mailbox.reduce((sum, message) => sum + message.length, 0) / MB).toFixed(1)), largestMessageMb: Number((largest / MB).toFixed(2)) }, runs: Number(values.runs), imapflow, mailboxScan: mailboxScans, target: 'ratioToImapflow >= 0.8' }, null, 2));
  } finally {
    await server.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

if (values.child === 'imapflow') {
  console.log(JSON.stringify(await imapflowAlone(Number(values.port), values.ca ?? '')));
} else if (values.child?.startsWith('scan:')) {
  console.log(JSON.stringify(await mailboxScan(Number(values.port), values.ca ?? '', values['data-dir'] ?? '', Number(values.child.slice(5)))));
} else {
  await main();
}
