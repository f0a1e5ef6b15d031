// Preloaded into the measured proxy (node --import) by scripts/bench/command-latency.ts --gc-log: the main
// thread appends every garbage collection to $INBOXGUARD_GC_LOG/gc-<pid>.jsonl as {t: wall-clock start in ms
// (performance.timeOrigin based, comparable across processes), d: duration in ms, k: kind (1 scavenge, 2 mark-compact,
// 4 incremental marking, 8 weak callbacks)}, so slow samples can be matched with the pauses they overlap. Not part of the product.
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.INBOXGUARD_GC_LOG;
if (dir && isMainThread) {
  const file = `${dir}/gc-${process.pid}.jsonl`;
  const lines = [];
  const flush = () => {
    if (lines.length > 0) appendFileSync(file, `${lines.join('\n')}\n`);
    lines.length = 0;
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) lines.push(JSON.stringify({ t: performance.timeOrigin + entry.startTime, d: entry.duration, k: entry.detail?.kind }));
    // Written in batches, so the log costs the measured process little.
    if (lines.length >= 64) flush();
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', flush);
}
