// A body on a pooled segment (segment-pool.ts) is pinned for its scan worker from dispatch until the
// worker replied or its thread has exited: a cancelled scan's worker is terminated first, a crashed one
// has exited, and only then may the segment carry another body. Real scan workers (fault-injecting entry).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { SegmentPool } from '../../../src/scan/segment-pool.js';
import { ScanWorkerPool } from '../../../src/scan/worker-pool.js';
import { faultInjectingWorkerEntry, FAULT_HEADER, type InjectedFault } from '../../helpers/fault-injecting-scan-worker.js';
import { withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]' };
const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-pool-segments-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const infected = withAttachments({ seed: 3, subject: 'virus', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
const faulty = (fault: InjectedFault) => Buffer.concat([Buffer.from(`${FAULT_HEADER}: ${fault}\r\n`), infected]);

function setup() {
  const segments = new SegmentPool();
  const workers = new ScanWorkerPool(1, { config: configSchema.parse({}), dataDir, engineNames: ['builtin'] }, faultInjectingWorkerEntry, undefined, undefined, segments);
  /** The message on a pooled segment, as a spool holds it; the spool's own pin is let go at once. */
  const pooled = (message: Buffer) => {
    const bytes = segments.take(message.length);
    message.copy(bytes);
    return bytes;
  };
  const letGo = (bytes: Buffer) => segments.unpin(bytes);
  const idle = () => segments.counters.idleBytes;
  /** Waits (a bounded number of turns) for the segment to come back: the worker's thread exits on its own time. */
  const backInPool = async () => {
    for (let i = 0; i < 500 && segments.counters.idleBytes === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  return { segments, workers, pooled, letGo, idle, backInPool };
}

describe('scan worker pool and pooled segments', () => {
  it('a worker that replied lets go of the body at once', async () => {
    const { workers, pooled, letGo, idle } = setup();
    try {
      const bytes = pooled(infected);
      const scan = workers.evaluate(bytes, CONTEXT);
      letGo(bytes);
      assert.equal(idle(), 0, 'the worker holds it while it scans');
      assert.equal((await scan).inspection.verdict, 'infected');
      assert.equal(idle(), bytes.buffer.byteLength);
    } finally {
      await workers.close();
    }
  });

  it('a cancelled scan’s body is not reused until its worker was terminated', async () => {
    const { segments, workers, pooled, letGo, idle, backInPool } = setup();
    try {
      const bytes = pooled(faulty('hang'));
      const deadline = new AbortController();
      const stuck = workers.evaluate(bytes, CONTEXT, deadline.signal);
      letGo(bytes);
      deadline.abort(new Error('deadline'));
      await assert.rejects(stuck, /deadline/);
      assert.equal(idle(), 0, 'the terminated worker may still be reading it');
      assert.notEqual(segments.take(bytes.length).buffer, bytes.buffer);
      await backInPool();
      assert.equal(workers.stats.cancelled, 1);
      assert.equal(idle(), bytes.buffer.byteLength, 'back once the thread has stopped');
    } finally {
      await workers.close();
    }
  });

  it('a crashed worker’s body goes back once its thread has exited', async () => {
    const { workers, pooled, letGo, idle } = setup();
    try {
      const bytes = pooled(faulty('exit'));
      const crashed = workers.evaluate(bytes, CONTEXT);
      letGo(bytes);
      await assert.rejects(crashed, /exited with code 7/);
      assert.equal(idle(), bytes.buffer.byteLength);
    } finally {
      await workers.close();
    }
  });

  it('a worker that throws keeps the body pinned until it has exited', async () => {
    const { workers, pooled, letGo, idle, backInPool } = setup();
    try {
      const bytes = pooled(faulty('throw'));
      const crashed = workers.evaluate(bytes, CONTEXT);
      letGo(bytes);
      await assert.rejects(crashed, /fault injected/);
      await backInPool();
      assert.equal(idle(), bytes.buffer.byteLength);
      assert.equal((await workers.evaluate(infected, CONTEXT)).inspection.verdict, 'infected', 'a new worker scans the next message');
    } finally {
      await workers.close();
    }
  });
});
