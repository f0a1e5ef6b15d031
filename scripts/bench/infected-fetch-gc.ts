// Garbage collection per fetch of a clean and an infected ~10 MB message (scan-cost.ts's pair), for one or
// more builds in turn: full collections (forced ones, i.e. shared-memory-collection.ts's, apart), their pause
// time, scavenges, per thread (V8 isolate; the main thread first), and
// the proxy's CPU time (utime+stime) per fetch. Read from --trace-gc; counts, not wall-clock, so it holds up
// on a busy machine. The infected message is fetched repeatedly (its original is already quarantined).
// Usage: npm run build && node --import tsx scripts/bench/infected-fetch-gc.ts [--mains A/dist,B/dist] [--rounds N]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecot } from '../test-servers/dovecot.js';
import { randomBytesFromSeed, withAttachments } from '../../test/helpers/messages.js';
import { EICAR } from '../../test/unit/scan/archive/archive-builders.js';
import { writeZip } from '../../test/unit/scan/archive/zip-writer.js';
import { LeanImapClient } from './imap-client.js';

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const mains = (arg('--mains') ?? 'dist').split(',').map((dist) => join(dist, 'cli', 'main.js'));
const rounds = Number(arg('--rounds') ?? 12);
const payload = randomBytesFromSeed(7 * 1024 * 1024, 11);
const message = (withEicar: boolean) => withAttachments({ seed: 70, subject: withEicar ? 'infected' : 'clean', attachments: [{ filename: 'data.zip', contentType: 'application/zip', content: writeZip([...(withEicar ? [{ name: 'eicar.com', data: EICAR }] : []), { name: 'payload.bin', data: payload, method: 'store' as const }]) }] });
const dovecot = await startDovecot({ messages: { alice: [message(false), message(true)] } });
interface ThreadGc {
  fullCollections: number;
  forcedCollections: number;
  fullPauseMs: number;
  scavenges: number;
  scavengePauseMs: number;
}

/** Per thread (isolate, in the order they first collected: the main thread first), from --trace-gc lines. */
function gcByThread(trace: string): Map<string, ThreadGc> {
  const threads = new Map<string, ThreadGc>();
  for (const line of trace.split('\n')) {
    const match = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Mark-Compact|Scavenge)\b.*?MB, ([\d.]+) \/ [\d.]+ ms/.exec(line);
    if (!match) continue;
    const thread = threads.get(match[1]) ?? { fullCollections: 0, forcedCollections: 0, fullPauseMs: 0, scavenges: 0, scavengePauseMs: 0 };
    threads.set(match[1], thread);
    const pause = Number(match[3]);
    if (match[2] === 'Scavenge') {
      thread.scavenges++;
      thread.scavengePauseMs += pause;
    } else {
      thread.fullCollections++;
      thread.fullPauseMs += pause;
      // gc() (shared-memory-collection.ts) shows as V8's "testing" reason.
      if (/ testing[;)]/.test(line) || line.includes('testing;')) thread.forcedCollections++;
    }
  }
  return threads;
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime (fields 14 and 15 of stat, counted from the state field as index 0 here: 11 and 12), in ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measure(main: string): Promise<Record<string, Record<string, number>>> {
  const home = mkdtempSync(join(tmpdir(), 'inboxguard-bench-gc-'));
  const flags = (/^#!\S*env -S node((?: \S+)*)\n/.exec(readFileSync(main, 'utf8').slice(0, 200))?.[1] ?? '').split(' ').filter(Boolean);
  const args = [...flags, '--trace-gc', main, 'start', '--listen', '127.0.0.1:0', '--upstream', `localhost:${dovecot.ports.imaps}`, '--upstream-ca', dovecot.caPath, '--protocol', 'imap'];
  const child = spawn(process.execPath, args, { env: { ...process.env, INBOXGUARD_HOME: home }, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  try {
    for (let i = 0; i < 400 && !(/port (\d+), connection security/.test(out) && out.includes('Stop with Ctrl-C')); i++) await sleep(50);
    const target = { port: Number(/port (\d+), connection security/.exec(out)![1]), ca: readFileSync(join(home, 'certs', 'ca.pem'), 'utf8') };
    const fetch = async (uid: number) => {
      const client = await LeanImapClient.connect(target, 'alice', 'secret');
      await client.command(`UID FETCH ${uid} (BODY.PEEK[])`);
      client.close();
    };
    // Warm-up: the worker starts, the infected original is quarantined.
    for (const uid of [1, 2, 1, 2]) await fetch(uid);
    await sleep(300);
    const sums: Record<string, Record<string, number>> = {};
    for (let pass = 0; pass < 2; pass++) {
      for (const [name, uid] of [['clean', 1], ['infected', 2]] as const) {
        const before = gcByThread(out);
        const cpuBefore = cpuMs(child.pid!);
        for (let i = 0; i < rounds; i++) await fetch(uid);
        await sleep(300);
        const cpu = cpuMs(child.pid!) - cpuBefore;
        const after = gcByThread(out);
        const row = (sums[name] ??= {});
        row.cpuMs = (row.cpuMs ?? 0) + cpu;
        [...after].forEach(([isolate, gc], index) => {
          const label = index === 0 ? 'main' : `worker${index}`;
          const was = before.get(isolate);
          for (const [key, value] of Object.entries(gc)) row[`${label}.${key}`] = (row[`${label}.${key}`] ?? 0) + value - ((was as unknown as Record<string, number> | undefined)?.[key] ?? 0);
        });
      }
    }
    const fetches = 2 * rounds;
    return Object.fromEntries(Object.entries(sums).map(([name, row]) => [name, Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Math.round((value / fetches) * 100) / 100]))]));
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
}
const results: Record<string, unknown> = {};
try {
  for (const main of mains) results[main] = await measure(main);
} finally {
  await dovecot.stop();
}
console.log(JSON.stringify({ benchmark: 'garbage collection per fetch of a 10 MB message, clean vs infected (repeated)', rounds, perFetch: results }, null, 2));
