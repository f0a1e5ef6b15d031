// Scan workers cost memory (a V8 isolate with engines and signatures each), so the pool starts them
// when a message needs one and ends them after they sat idle; counted here through the pool's stats.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { ScanWorkerPool } from '../../../src/scan/worker-pool.js';
import { withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';
import { waitUntil } from '../../helpers/wait-until.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]' };
const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-pool-lifecycle-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const infected = withAttachments({ seed: 5, subject: 'virus', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
const clean = withAttachments({ seed: 6, subject: 'clean', attachments: [{ filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('nothing here\r\n') }] });

function pool(size: number, idleExitMs?: number): ScanWorkerPool {
  return new ScanWorkerPool(size, { config: configSchema.parse({}), dataDir, engineNames: ['builtin'] }, undefined, undefined, idleExitMs);
}

describe('scan worker pool lifecycle', () => {
  it('starts no worker until a message needs one, then reuses it', async () => {
    const workers = pool(2);
    try {
      assert.equal(workers.liveWorkers, 0);
      assert.equal(workers.stats.started, 0);
      assert.equal((await workers.evaluate(clean, CONTEXT)).inspection.verdict, 'clean');
      assert.equal((await workers.evaluate(infected, CONTEXT)).inspection.verdict, 'infected');
      assert.equal((await workers.evaluate(clean, CONTEXT)).inspection.verdict, 'clean');
      assert.equal(workers.stats.started, 1, 'one message at a time needs one worker');
      assert.equal(workers.liveWorkers, 1);
    } finally {
      await workers.close();
    }
  });

  it('starts a second worker only for messages at the same time, never more than its size', async () => {
    const workers = pool(2);
    try {
      const verdicts = await Promise.all([clean, infected, clean, infected].map((message) => workers.evaluate(message, CONTEXT)));
      assert.deepEqual(verdicts.map((evaluation) => evaluation.inspection.verdict), ['clean', 'infected', 'clean', 'infected']);
      assert.equal(workers.stats.started, 2);
      assert.equal(workers.liveWorkers, 2);
    } finally {
      await workers.close();
    }
  });

  it("one session's bodies start one worker between them, however many wait; another session's start a second", async () => {
    const workers = pool(2);
    try {
      const sessionOne = { ...CONTEXT, session: 1 };
      const verdicts = await Promise.all([clean, infected, clean, infected].map((message) => workers.evaluate(message, sessionOne)));
      assert.deepEqual(verdicts.map((evaluation) => evaluation.inspection.verdict), ['clean', 'infected', 'clean', 'infected']);
      assert.equal(workers.stats.started, 1, 'the session waits for its own worker instead of starting another');
      const [first, second, third] = await Promise.all([
        workers.evaluate(infected, sessionOne),
        workers.evaluate(clean, sessionOne),
        workers.evaluate(infected, { ...CONTEXT, session: 2 }),
      ]);
      assert.deepEqual([first, second, third].map((evaluation) => evaluation.inspection.verdict), ['infected', 'clean', 'infected']);
      assert.equal(workers.stats.started, 2, "session 2's body did not wait behind session 1's queue: it started the second worker");
      assert.equal(workers.liveWorkers, 2);
    } finally {
      await workers.close();
    }
  });

  it('an idle worker takes the next body of a session that already has one in a worker', async () => {
    const workers = pool(2);
    try {
      await Promise.all([workers.evaluate(clean, { ...CONTEXT, session: 1 }), workers.evaluate(clean, { ...CONTEXT, session: 2 })]);
      assert.equal(workers.stats.started, 2);
      const verdicts = await Promise.all([infected, clean].map((message) => workers.evaluate(message, { ...CONTEXT, session: 3 })));
      assert.deepEqual(verdicts.map((evaluation) => evaluation.inspection.verdict), ['infected', 'clean']);
      assert.equal(workers.stats.started, 2, 'two idle workers: no start');
    } finally {
      await workers.close();
    }
  });

  it('ends a worker that sat idle, and starts one again for the next message', async () => {
    const workers = pool(1, 50);
    try {
      assert.equal((await workers.evaluate(infected, CONTEXT)).inspection.verdict, 'infected');
      await waitUntil(() => workers.liveWorkers === 0);
      assert.deepEqual(workers.stats, { started: 1, cancelled: 0, crashed: 0 }, 'an idle exit is not a crash');
      assert.equal((await workers.evaluate(infected, CONTEXT)).inspection.verdict, 'infected');
      assert.equal(workers.stats.started, 2);
    } finally {
      await workers.close();
    }
  });

  it('prewarm starts one worker when none runs, and none while one is starting, idle or busy', async () => {
    const workers = pool(2);
    try {
      workers.prewarm();
      assert.equal(workers.stats.started, 1);
      assert.equal(workers.liveWorkers, 1);
      workers.prewarm();
      assert.equal(workers.stats.started, 1, 'one start in flight at most');
      const scanning = workers.evaluate(infected, CONTEXT);
      workers.prewarm();
      assert.equal((await scanning).inspection.verdict, 'infected');
      assert.equal(workers.stats.started, 1, 'the message went to the prewarmed worker');
      workers.prewarm();
      assert.deepEqual(workers.stats, { started: 1, cancelled: 0, crashed: 0 });
      assert.equal(workers.liveWorkers, 1);
    } finally {
      await workers.close();
    }
  });

  it('a prewarmed worker ends on the idle timer like any other, and a closed pool starts none', async () => {
    const workers = pool(1, 50);
    workers.prewarm();
    assert.equal(workers.liveWorkers, 1);
    await waitUntil(() => workers.liveWorkers === 0);
    assert.deepEqual(workers.stats, { started: 1, cancelled: 0, crashed: 0 }, 'an idle exit is not a crash');
    workers.prewarm();
    assert.equal(workers.stats.started, 2, 'after it retired, the next prewarm starts one again');
    await workers.close();
    workers.prewarm();
    assert.equal(workers.stats.started, 2);
    assert.equal(workers.liveWorkers, 0);
  });
});
