import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryLimits, PROCESS_MEMORY_BYTES } from '../../../src/protocol/limits.js';
import { ProcessMemory } from '../../../src/protocol/memory-budget.js';

const limits = { sessionBytes: 1000, diskWriteWindowBytes: 100, scansWaiting: 2 };

describe('memory budgets', () => {
  it('reserves within the session budget and refuses beyond it, counting held, peak and refused bytes', () => {
    const memory = new ProcessMemory(10_000).openSession(limits);
    assert.equal(memory.reserve(600), true);
    assert.equal(memory.reserve(500), false);
    assert.equal(memory.reserve(400), true);
    assert.equal(memory.reserve(1), false, 'the budget is used up');
    memory.release(700);
    assert.deepEqual({ ...memory.counters }, { held: 300, peak: 1000, refused: 501, writing: 0, scansWaiting: 0 });
  });

  it('refuses when the process budget is used up by other sessions', () => {
    const process = new ProcessMemory(1500);
    const first = process.openSession(limits);
    const second = process.openSession(limits);
    assert.equal(first.reserve(1000), true);
    assert.equal(second.reserve(600), false);
    assert.equal(second.reserve(500), true);
    assert.equal(second.reserve(1), false);
    assert.deepEqual(process.counters, { held: 1500, peak: 1500, refused: 601, sessionPeak: 1000 });
    first.close();
    assert.equal(process.counters.held, 500);
  });

  it('forced bytes and the engine queue count as held; overBudget says so', () => {
    const memory = new ProcessMemory(10_000).openSession(limits);
    memory.force(900);
    memory.setQueuedClientBytes(200);
    assert.equal(memory.overBudget, true);
    memory.setQueuedClientBytes(50);
    assert.equal(memory.counters.held, 950);
    assert.equal(memory.overBudget, false);
  });

  it('asks the session to stop reading while disk writes or waiting scans pile up, and says when that is over', () => {
    const memory = new ProcessMemory(10_000).openSession(limits);
    let reliefs = 0;
    memory.onRelief(() => reliefs++);
    memory.writing(150);
    assert.equal(memory.pauseUpstream, true);
    memory.writing(-100);
    assert.equal(memory.pauseUpstream, false);
    assert.equal(reliefs, 1);
    memory.scanWaiting(1);
    memory.scanWaiting(1);
    assert.equal(memory.pauseUpstream, true);
    memory.scanWaiting(-1);
    assert.equal(reliefs, 2);
  });

  it('a closed session gives everything back, and later releases or reservations change nothing', () => {
    const process = new ProcessMemory(10_000);
    const memory = process.openSession(limits);
    memory.reserve(400);
    memory.setQueuedClientBytes(100);
    memory.close();
    memory.release(400);
    assert.equal(memory.reserve(1), false);
    assert.equal(process.counters.held, 0);
  });

  it('derives the session budget from scan.memoryBufferBytes', () => {
    const derived = memoryLimits(16 * 1024 * 1024);
    assert.equal(derived.sessionBytes, 128 * 1024 * 1024);
    assert.ok(derived.unspillableBodyBytes > 16 * 1024 * 1024);
    assert.ok(PROCESS_MEMORY_BYTES >= derived.sessionBytes);
  });
});
