// What holds the memory of a bulk run (the 300-message mailbox of relay.ts: `UID FETCH 1:* BODY.PEEK[]`
// and POP3 RETR of every message) with scanning on: peak RSS (VmHWM) of a fresh proxy per build and
// protocol, and at the sampled peak the share of each holder (scripts/bench/memory-sampler.mjs samples
// every thread of the proxy). Builds given with --mains are measured one after another in one run.
// --message-mib N measures one N MiB message (one base64 attachment, relay.ts's large row) instead.
// Usage: npm run build && node --import tsx scripts/bench/bulk-memory.ts [--mains dist,OTHER/dist] [--rounds 1] [--message-mib 200]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDovecot } from '../test-servers/dovecot.js';
import { LeanImapClient } from './imap-client.js';
import { startInboxguard } from './inboxguard-process.js';
import { bigMessage } from '../../test/helpers/messages.js';
import { benchMailbox, sameMailboxAccounts } from './mailbox.js';
import { retrAll } from './pop3-client.js';
import { machine } from './machine.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const mains = argument('--mains', 'dist').split(',');
const rounds = Number(argument('--rounds', '1'));
const protocols = argument('--protocols', 'imap,pop3').split(',') as ('imap' | 'pop3')[];
const sampler = fileURLToPath(new URL('./memory-sampler.mjs', import.meta.url));

interface Sample {
  t: number;
  heapPhysical: number;
  newSpace: number;
  arrayBuffers: number;
  external: number;
  sharedUncollected?: number;
  forcedCollections?: number;
  rss?: number;
  rssFile?: number;
  mallocMainArena?: number;
  idleSegments?: number;
  segments?: { allocated: number; reused: number; dropped: number };
  spooledBodies?: number;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** The holders at the main thread's largest sampled RSS, each worker taken at its sample nearest to it. */
function holders(dir: string) {
  const threads = new Map<string, Sample[]>();
  for (const file of readdirSync(dir)) threads.set(file.replace('.jsonl', ''), readFileSync(join(dir, file), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Sample));
  const main = threads.get('0') ?? [];
  const peak = main.reduce((best, sample) => ((sample.rss ?? 0) > (best.rss ?? 0) ? sample : best), main[0]);
  const workers = [...threads].filter(([id]) => id !== '0').map(([, samples]) => samples.reduce((best, sample) => (Math.abs(sample.t - peak.t) < Math.abs(best.t - peak.t) ? sample : best)));
  const workerLast = [...threads].filter(([id]) => id !== '0').map(([, samples]) => samples[samples.length - 1]);
  const accounted = (peak.rssFile ?? 0) + peak.heapPhysical + peak.arrayBuffers + workers.reduce((sum, worker) => sum + worker.heapPhysical + worker.external, 0);
  return {
    sampledPeakRssMiB: peak.rss,
    binaryAndLibrariesMiB: peak.rssFile,
    mainHeapMiB: { total: peak.heapPhysical, newSpace: peak.newSpace },
    /** Buffers and shared segments allocated by the main thread and alive in some thread. */
    mainArrayBuffersMiB: peak.arrayBuffers,
    /** Of the shared segments: those whose main-thread handle is not collected yet, and the bodies actually held by sessions. */
    mainSharedUncollectedMiB: peak.sharedUncollected,
    spooledBodiesMiB: peak.spooledBodies,
    /** Of the main thread's array buffers: pooled segments no body holds now (segment-pool.ts). */
    idleSegmentsMiB: peak.idleSegments,
    /** Resident in the main thread's malloc arena (brk heap): buffers and segments glibc did not mmap, and what it keeps of those freed. */
    mallocMainArenaMiB: peak.mallocMainArena,
    workerHeapsMiB: workers.map((worker) => ({ total: worker.heapPhysical, newSpace: worker.newSpace })),
    workerArrayBuffersMiB: workers.map((worker) => worker.arrayBuffers),
    /** A worker's external memory beyond its own buffers: its handles to the main thread's shared segments. */
    workerSharedHandlesMiB: workers.map((worker) => round1(worker.external - worker.arrayBuffers)),
    otherMiB: round1((peak.rss ?? 0) - accounted),
    maxSpooledBodiesMiB: Math.max(...main.map((sample) => sample.spooledBodies ?? 0)),
    /** Pooled segments over the run: allocated fresh, handed out again, left the pool (for garbage collection). */
    segments: main[main.length - 1]?.segments,
    forcedCollections: { main: main[main.length - 1]?.forcedCollections, workers: workerLast.map((sample) => sample.forcedCollections) },
  };
}

const messageMiB = Number(argument('--message-mib', '0'));
const messages = messageMiB > 0 ? [bigMessage(messageMiB * 1024 * 1024)] : benchMailbox(300);
const totalBytes = messages.reduce((sum, message) => sum + message.length, 0);
// Round i reads account bulk<i>, the same messages: a message found clean is not scanned again (issue #15).
const users = Array.from({ length: rounds }, (_, index) => `bulk${index + 1}`);
const dovecot = await startDovecot(sameMailboxAccounts(['alice', ...users], messages));
const results: Record<string, unknown> = {};
try {
  const warm = await LeanImapClient.connect({ port: dovecot.ports.imaps, ca: dovecot.caPem }, 'alice', 'secret');
  await warm.command('UID FETCH 1:* (BODY.PEEK[])');
  warm.close();
  for (const build of mains) {
    const main = resolve(build, 'cli', 'main.js');
    for (const protocol of protocols) {
      const samples = mkdtempSync(join(tmpdir(), 'inboxguard-memory-'));
      const saved = { ...process.env };
      Object.assign(process.env, {
        INBOXGUARD_MEMORY_SAMPLES: samples,
        INBOXGUARD_MEMORY_MAIN: main,
        INBOXGUARD_BENCH_NODE_ARGS: `${process.env.INBOXGUARD_BENCH_NODE_ARGS ?? ''} --import ${sampler}`,
      });
      const port = protocol === 'imap' ? dovecot.ports.imaps : dovecot.ports.pop3s;
      const guard = await startInboxguard(`localhost:${port}`, dovecot.caPath, ['--protocol', protocol], { main });
      process.env = saved;
      try {
        for (let index = 0; index < rounds; index++) {
          const target = { port: guard.port, ca: guard.caPem };
          let bytes: number;
          if (protocol === 'imap') {
            const client = await LeanImapClient.connect(target, users[index], 'secret');
            bytes = (await client.command('UID FETCH 1:* (BODY.PEEK[])')).bodyBytes;
            client.close();
          } else bytes = await retrAll(target, users[index], 'secret', messages.length);
          if (bytes !== totalBytes) throw new Error(`${protocol}: ${bytes} bytes fetched, expected ${totalBytes}`);
        }
        results[`${build} ${protocol}`] = { peakRssMiB: round1(guard.peakRssMiB()), ...holders(samples) };
      } finally {
        await guard.stop();
        rmSync(samples, { recursive: true, force: true });
      }
    }
  }
} finally {
  await dovecot.stop();
}
console.log(JSON.stringify({ benchmark: `peak RSS of ${messageMiB > 0 ? `one ${messageMiB} MiB message` : 'a bulk run'} and its holders at the sampled peak (MiB)`, mailbox: { messages: messages.length, MB: round1(totalBytes / 1e6) }, rounds, results, ...machine() }, null, 2));
