// Preloaded into the measured proxy (node --import) by scripts/bench/bulk-memory.ts: every thread (main
// and scan workers) appends a sample of its memory to $INBOXGUARD_MEMORY_SAMPLES/<thread>.jsonl every
// 25 ms, so the holders at the moment of peak RSS can be told apart. Not part of the product.
import { appendFileSync, readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.INBOXGUARD_MEMORY_SAMPLES;
const main = process.env.INBOXGUARD_MEMORY_MAIN;
const MiB = 1024 * 1024;
const round = (bytes) => Math.round((bytes / MiB) * 10) / 10;

if (dir && main) {
  let collector;
  let budget;
  let pool;
  // The same module instances the proxy uses (one per thread).
  import(new URL('../scan/shared-memory-collection.js', `file://${main}`).href).then((module) => (collector = module.sharedMemory), () => undefined);
  if (isMainThread) import(new URL('../protocol/memory-budget.js', `file://${main}`).href).then((module) => (budget = module.processMemory), () => undefined);
  if (isMainThread) import(new URL('../scan/segment-pool.js', `file://${main}`).href).then((module) => (pool = module.segmentPool), () => undefined);
  const file = `${dir}/${threadId}.jsonl`;
  const sample = () => {
    const usage = process.memoryUsage();
    const heap = getHeapStatistics();
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    const line = {
      t: Date.now(),
      heapPhysical: round(heap.total_physical_size),
      newSpace: round(newSpace?.space_size ?? 0),
      arrayBuffers: round(usage.arrayBuffers),
      external: round(usage.external),
      sharedUncollected: collector ? round(collector.uncollectedBytes) : undefined,
      forcedCollections: collector?.counters.collections,
    };
    if (isMainThread) {
      const status = readFileSync('/proc/self/status', 'utf8');
      const kib = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
      const segments = pool?.counters;
      Object.assign(line, {
        rss: round(usage.rss),
        rssFile: round(kib('RssFile')),
        mallocMainArena: round(mainArenaBytes()),
        spooledBodies: budget ? round(budget.counters.held) : undefined,
        idleSegments: segments ? round(segments.idleBytes) : undefined,
        segments: segments && { allocated: segments.allocated, reused: segments.reused, dropped: segments.dropped },
      });
    }
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  };
  setInterval(sample, 25).unref();
}

/** Resident bytes of the main thread's malloc arena (the brk heap, `[heap]`): where glibc puts the shared segments and buffers below its mmap threshold. */
function mainArenaBytes() {
  const smaps = readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.indexOf(' [heap]\n');
  if (at < 0) return 0;
  return Number(/\nRss:\s+(\d+) kB/.exec(smaps.slice(at, at + 400))?.[1] ?? 0) * 1024;
}
