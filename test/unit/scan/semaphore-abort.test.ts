import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Semaphore } from '../../../src/scan/semaphore.js';

describe('Semaphore with an abort signal', () => {
  it('an aborted wait leaves the queue, rejects with the reason, and the permit goes to the next waiter', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const giveUp = new AbortController();
    const abandoned = semaphore.acquire(giveUp.signal);
    const next = semaphore.acquire();
    assert.equal(semaphore.stats.waiting, 2);
    giveUp.abort(new Error('deadline'));
    await assert.rejects(abandoned, /deadline/);
    assert.equal(semaphore.stats.waiting, 1);
    release();
    (await next)();
    assert.deepEqual(semaphore.stats, { active: 0, waiting: 0, peak: 1 });
  });

  it('an already aborted signal is refused without taking a permit', async () => {
    const semaphore = new Semaphore(1);
    await assert.rejects(semaphore.acquire(AbortSignal.abort(new Error('too late'))), /too late/);
    assert.deepEqual(semaphore.stats, { active: 0, waiting: 0, peak: 0 });
  });

  it('a signal that aborts after the permit was granted changes nothing', async () => {
    const semaphore = new Semaphore(1);
    const signal = new AbortController();
    const release = await semaphore.acquire(signal.signal);
    signal.abort(new Error('later'));
    assert.equal(semaphore.stats.active, 1);
    release();
    assert.equal(semaphore.stats.active, 0);
  });
});
