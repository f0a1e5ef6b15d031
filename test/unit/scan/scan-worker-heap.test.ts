// Scan workers start with a small young generation (SCAN_WORKER_RESOURCE_LIMITS): objects that die young
// are all a scan allocates on the JS heap, and V8's default lets each worker's semi-spaces grow to 32 MiB.
// They get that size, not the proxy main thread's 1 MiB semi-spaces, however the proxy was started.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { SCAN_WORKER_RESOURCE_LIMITS, SCAN_WORKER_SEMI_SPACE_MB } from '../../../src/scan/worker-pool.js';
import { PROXY_NODE_FLAGS } from '../../../src/cli/young-generation.js';

const POOL = fileURLToPath(new URL('../../../src/scan/worker-pool.ts', import.meta.url));
const CAP = fileURLToPath(new URL('../../../src/cli/young-generation.ts', import.meta.url));

/** Allocates about 600k short-lived objects with a sliding window of survivors, and reports the largest new space seen. */
const ALLOCATING_THREAD = `
const v8 = require('node:v8');
const { parentPort } = require('node:worker_threads');
let window = [];
let largest = 0;
for (let round = 0; round < 200; round++) {
  for (let index = 0; index < 20000; index++) window.push({ index, text: 'part ' + index });
  if (window.length > 100000) window = window.slice(50000);
  largest = Math.max(largest, v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size);
}
parentPort.postMessage(largest);`;

async function largestNewSpace(resourceLimits?: ResourceLimits): Promise<number> {
  const worker = new Worker(ALLOCATING_THREAD, { eval: true, ...(resourceLimits ? { resourceLimits } : {}) });
  try {
    return await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

/** New-space sizes in KiB of a child node started with `nodeArgs`: a scan thread's (at its start and its largest under allocation) and the main thread's after it allocated too. */
function newSpaces(nodeArgs: string[], capGrowth: boolean): { workerStart: number; workerLargest: number; main: number } {
  const script = `
    const v8 = require('node:v8');
    ${capGrowth ? `require(${JSON.stringify(CAP)}).capYoungGenerationGrowth([], '');` : ''}
    const newSpace = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size / 1024;
    const thread = \`const v8 = require('node:v8');
      const newSpace = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size / 1024;
      const start = newSpace();
      let largest = start;
      let keep = [];
      for (let i = 0; i < 3e6; i++) { keep.push({ i, text: 'x' + i }); if (keep.length > 20000) keep = []; largest = Math.max(largest, i % 1000 ? 0 : newSpace()); }
      require('node:worker_threads').parentPort.postMessage({ start, largest });\`;
    const worker = require(${JSON.stringify(POOL)}).startScanThread(thread, { eval: true });
    worker.once('message', ({ start, largest }) => {
      let keep = [];
      for (let i = 0; i < 3e6; i++) { keep.push({ i, text: 'x' + i }); if (keep.length > 20000) keep = []; }
      console.log(JSON.stringify({ workerStart: start, workerLargest: largest, main: newSpace() }));
      void worker.terminate();
    });`;
  const child = spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { workerStart: number; workerLargest: number; main: number };
}

describe('scan worker heap', () => {
  it("a scan thread has the semi-spaces of its limits under the proxy's flags, and the main thread keeps its own", () => {
    const semiSpaces = 2 * SCAN_WORKER_SEMI_SPACE_MB * 1024;
    // The bin's flags (--max-semi-space-size=1), which V8 would apply to every isolate over its resourceLimits.
    const flagged = newSpaces([...PROXY_NODE_FLAGS], false);
    // Committed at the start: one semi-space of the full size (V8 commits the other at the first scavenge).
    assert.ok(flagged.workerStart >= semiSpaces / 2, `the thread starts with ${flagged.workerStart} KiB of new space`);
    assert.equal(flagged.workerLargest, semiSpaces);
    assert.ok(flagged.main <= 2048, `the main thread's new space stays at its flag's size: ${flagged.main} KiB`);
    // Started without the flags: start caps the semi-spaces' growth (--semi-space-growth-factor=1) for every isolate.
    const capped = newSpaces([], true);
    assert.equal(capped.workerLargest, semiSpaces);
  });

  it('keeps the young generation small under a high allocation rate, where the default grows it', async () => {
    const MiB = 1024 * 1024;
    const limited = await largestNewSpace(SCAN_WORKER_RESOURCE_LIMITS);
    const unlimited = await largestNewSpace();
    assert.ok(limited <= 8 * MiB, `new space ${limited / MiB} MiB with the scan workers' limits`);
    assert.ok(unlimited > limited, `the default grows it further (${unlimited / MiB} MiB): the limit is what keeps it small`);
  });
});
