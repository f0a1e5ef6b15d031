// The scan worker pool under faults a real worker only shows by accident (fault-injecting worker entry):
// a worker that never answers is terminated when its job is cancelled, one that throws or exits fails
// only its own message; either way it is replaced and the next message is scanned.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { ScanWorkerPool } from '../../../src/scan/worker-pool.js';
import { faultInjectingWorkerEntry, FAULT_HEADER, type InjectedFault } from '../../helpers/fault-injecting-scan-worker.js';
import { withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]' };
const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-pool-faults-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const infected = withAttachments({ seed: 3, subject: 'virus', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
const faulty = (fault: InjectedFault) => Buffer.concat([Buffer.from(`${FAULT_HEADER}: ${fault}\r\n`), infected]);

function pool(size = 1): ScanWorkerPool {
  return new ScanWorkerPool(size, { config: configSchema.parse({}), dataDir, engineNames: ['builtin'] }, faultInjectingWorkerEntry);
}

describe('scan worker pool faults', () => {
  it('a real scan goes through the fault-injecting entry unchanged', async () => {
    const workers = pool();
    try {
      const evaluation = await workers.evaluate(infected, CONTEXT);
      assert.equal(evaluation.inspection.verdict, 'infected');
      assert.deepEqual(workers.stats, { started: 1, cancelled: 0, crashed: 0 });
    } finally {
      await workers.close();
    }
  });

  it('a worker that never answers is terminated when its job is cancelled, and the next message is scanned', async () => {
    const workers = pool();
    try {
      const deadline = new AbortController();
      const stuck = workers.evaluate(faulty('hang'), CONTEXT, deadline.signal);
      const next = workers.evaluate(infected, CONTEXT);
      deadline.abort(new Error('deadline'));
      await assert.rejects(stuck, /deadline/);
      assert.equal((await next).inspection.verdict, 'infected', 'the one slot was freed for the message behind');
      assert.deepEqual(workers.stats, { started: 2, cancelled: 1, crashed: 0 });
    } finally {
      await workers.close();
    }
  });

  it('a job cancelled while it waits leaves the queue without touching a worker', async () => {
    const workers = pool();
    try {
      const running = new AbortController();
      const stuck = workers.evaluate(faulty('hang'), CONTEXT, running.signal);
      const waiting = new AbortController();
      const queued = workers.evaluate(infected, CONTEXT, waiting.signal);
      waiting.abort(new Error('gave up waiting'));
      await assert.rejects(queued, /gave up waiting/);
      assert.deepEqual(workers.stats, { started: 1, cancelled: 0, crashed: 0 });
      running.abort(new Error('deadline'));
      await assert.rejects(stuck, /deadline/);
    } finally {
      await workers.close();
    }
  });

  for (const fault of ['throw', 'exit'] as const) {
    it(`a worker that ${fault === 'throw' ? 'throws' : 'exits'} fails only its own message and is replaced`, async () => {
      const workers = pool(2);
      try {
        const [crashed, beside] = await Promise.allSettled([workers.evaluate(faulty(fault), CONTEXT), workers.evaluate(infected, CONTEXT)]);
        assert.equal(crashed.status, 'rejected');
        assert.match(String((crashed as PromiseRejectedResult).reason), fault === 'throw' ? /fault injected: the scan worker throws/ : /exited with code 7/);
        assert.equal(beside.status === 'fulfilled' && beside.value.inspection.verdict, 'infected');
        const again = await Promise.all([workers.evaluate(infected, CONTEXT), workers.evaluate(infected, CONTEXT)]);
        assert.deepEqual(again.map((evaluation) => evaluation.inspection.verdict), ['infected', 'infected'], 'both slots work again');
        assert.deepEqual(workers.stats, { started: 3, cancelled: 0, crashed: 1 });
      } finally {
        await workers.close();
      }
    });
  }
});
