// Scan workers start with a small young generation (SCAN_WORKER_RESOURCE_LIMITS): objects that die young
// are all a scan allocates on the JS heap, and V8's default lets each worker's semi-spaces grow to 32 MiB.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { SCAN_WORKER_RESOURCE_LIMITS } from '../../../src/scan/worker-pool.js';

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

describe('scan worker heap', () => {
  it('keeps the young generation small under a high allocation rate, where the default grows it', async () => {
    const MiB = 1024 * 1024;
    const limited = await largestNewSpace(SCAN_WORKER_RESOURCE_LIMITS);
    const unlimited = await largestNewSpace();
    assert.ok(limited <= 8 * MiB, `new space ${limited / MiB} MiB with the scan workers' limits`);
    assert.ok(unlimited > limited, `the default grows it further (${unlimited / MiB} MiB): the limit is what keeps it small`);
  });
});
