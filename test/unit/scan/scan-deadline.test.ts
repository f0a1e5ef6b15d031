// scan.timeoutSeconds: one message's scan, waiting for a slot included, settles by its deadline through
// scan.onError (verdict timeout, event, X-InboxGuard), and a stuck scan never holds a slot from later
// messages. Hanging scans come from fault injection (a worker entry, an evaluator), never from sleeping.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LiveConfig } from '../../../src/config/live-config.js';
import { configSchema, type Config } from '../../../src/config/schema.js';
import type { BodyContext } from '../../../src/protocol/engine.js';
import type { SpooledBody } from '../../../src/scan/body-scanner.js';
import { createScanSetup } from '../../../src/scan/create-pipeline.js';
import { createInspector, policyFrom } from '../../../src/scan/create-inspector.js';
import { ScanTimeoutError } from '../../../src/scan/deadline.js';
import { createEvaluator, type Evaluation } from '../../../src/scan/evaluate.js';
import { ScanPipeline } from '../../../src/scan/pipeline.js';
import { EventLog, eventsPath, readEvents } from '../../../src/store/events.js';
import { Quarantine, quarantineDir } from '../../../src/store/quarantine.js';
import { faultInjectingWorkerEntry, FAULT_HEADER } from '../../helpers/fault-injecting-scan-worker.js';
import { withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', listener: 'work', user: 'bob', mailbox: 'INBOX', uid: 7 };
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-deadline-'));
  dirs.push(dir);
  return dir;
};

const infected = withAttachments({ seed: 5, subject: 'virus', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
const hanging = Buffer.concat([Buffer.from(`${FAULT_HEADER}: hang\r\n`), infected]);
const body = (bytes: Buffer): SpooledBody => ({ size: bytes.length, inMemory: () => bytes, readAll: async () => bytes, range: async function* () { yield bytes; } });
const config = (scan: Record<string, unknown>): Config => configSchema.parse({ scan: { engines: ['builtin'], ...scan } });

/** Worker setups start with a short deadline for the stuck scans and follow `live` for the real ones, which need time to start a worker. */
async function workerSetup(dataDir: string, scan: Record<string, unknown>) {
  const first = config(scan);
  const setup = await createScanSetup(first, dataDir, undefined, ['builtin'], { workers: true, workerEntry: faultInjectingWorkerEntry });
  const live = new LiveConfig(first);
  setup.follow(live);
  return { setup, live };
}

describe('scan deadline with worker threads', () => {
  it('two stuck scans are settled by scan.onError=block at the deadline, their workers replaced, and the next message is scanned', async () => {
    const dataDir = tempDir();
    const scan = { timeoutSeconds: 0.3, maxConcurrentScans: 2, onError: 'block' };
    const { setup, live } = await workerSetup(dataDir, scan);
    try {
      const stuck = await Promise.all([setup.pipeline.scan(body(hanging), CONTEXT), setup.pipeline.scan(body(hanging), { ...CONTEXT, uid: 8 })]);
      for (const result of stuck) {
        assert.equal(result.changed, true);
        assert.match(result.changed ? result.content.toString('latin1') : '', /^X-InboxGuard: timeout; engine=builtin; version=[^;]+; action=block\r$/m);
      }
      live.replace(config({ ...scan, timeoutSeconds: 120 }));
      const next = await setup.pipeline.scan(body(infected), { ...CONTEXT, uid: 9 });
      assert.equal(next.changed, true);
      const events = readEvents(eventsPath(dataDir));
      assert.deepEqual(
        events.map((event) => [event.uid, event.verdict, event.actions.join(',')]).sort(),
        [[7, 'timeout', 'block'], [8, 'timeout', 'block'], [9, 'infected', 'strip']],
      );
      assert.match(events[0].note ?? '', /did not finish within scan\.timeoutSeconds \(0\.3 s\)/);
    } finally {
      await setup.close();
    }
  });

  it('scan.onError=pass delivers the stuck message unchanged, with a timeout event', async () => {
    const dataDir = tempDir();
    const { setup } = await workerSetup(dataDir, { timeoutSeconds: 0.2, maxConcurrentScans: 1 });
    try {
      assert.deepEqual(await setup.pipeline.scan(body(hanging), CONTEXT), { changed: false });
      assert.deepEqual(readEvents(eventsPath(dataDir)).map((event) => [event.verdict, event.actions]), [['timeout', ['deliver-unscanned']]]);
    } finally {
      await setup.close();
    }
  });

  it('hot reload carries a new scan.timeoutSeconds', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    const { setup, live } = await workerSetup(dataDir, { timeoutSeconds: 3600, maxConcurrentScans: 1 });
    try {
      live.replace(config({ timeoutSeconds: 0.2, maxConcurrentScans: 1 }));
      // With the first, hour-long deadline this would outlive the test's own timeout.
      assert.deepEqual(await setup.pipeline.scan(body(hanging), CONTEXT), { changed: false });
      assert.equal(readEvents(eventsPath(dataDir))[0].verdict, 'timeout');
    } finally {
      await setup.close();
    }
  });
});

describe('scan deadline in this thread (no workers)', () => {
  /**
   * Fault injection: the evaluator's first `holds` calls wait until release() (forever if never
   * called); later calls scan for real. The deadline starts short; long() gives real scans time.
   */
  async function pipelineWithFaultInjectingEvaluator(holds: number) {
    const dataDir = tempDir();
    const settings = config({ timeoutSeconds: 0.2, maxConcurrentScans: 1, onError: 'block' });
    const engines = await createInspector(settings, dataDir, ['builtin']);
    const real = createEvaluator(engines.inspector, policyFrom(settings));
    const calls = { started: 0 };
    const held: Array<() => void> = [];
    const faultInjectingEvaluator = (bytes: Buffer, context: BodyContext): Promise<Evaluation> =>
      ++calls.started <= holds ? new Promise<Evaluation>((resolve) => held.push(() => resolve(real(bytes, context)))) : real(bytes, context);
    const options = { evaluate: faultInjectingEvaluator, engineNames: ['builtin' as const], policy: policyFrom(settings) };
    const pipeline = new ScanPipeline({
      ...options,
      quarantine: new Quarantine(quarantineDir(dataDir)),
      events: new EventLog(eventsPath(dataDir)),
      maxConcurrentScans: 1,
      timeoutSeconds: settings.scan.timeoutSeconds,
    });
    const deadline = (timeoutSeconds: number) => pipeline.reconfigure({ ...options, timeoutSeconds });
    return { pipeline, dataDir, calls, deadline, release: () => held.splice(0).forEach((go) => go()), close: engines.close };
  }

  it('the pipeline settles at the deadline and gives the slot back for the next message', async () => {
    const { pipeline, dataDir, calls, deadline, close } = await pipelineWithFaultInjectingEvaluator(1);
    try {
      const stuck = await pipeline.scan(body(infected), CONTEXT);
      assert.match(stuck.changed ? stuck.content.toString('latin1') : '', /^X-InboxGuard: timeout;/m);
      deadline(120);
      const next = await pipeline.scan(body(infected), { ...CONTEXT, uid: 8 });
      assert.equal(next.changed, true);
      assert.equal(calls.started, 2);
      assert.deepEqual(readEvents(eventsPath(dataDir)).map((event) => event.verdict), ['timeout', 'infected']);
    } finally {
      await close();
    }
  });

  it('the deadline covers the wait for a scan slot', async () => {
    const { pipeline, dataDir, calls, deadline, release, close } = await pipelineWithFaultInjectingEvaluator(1);
    try {
      deadline(3600);
      const holding = pipeline.scan(body(infected), CONTEXT);
      deadline(0.2);
      const waiting = await pipeline.scan(body(infected), { ...CONTEXT, uid: 8 });
      assert.equal(waiting.changed, true);
      assert.equal(calls.started, 1, 'the second message never got the slot before its deadline');
      deadline(120);
      release();
      assert.equal((await holding).changed, true);
      assert.equal((await pipeline.scan(body(infected), { ...CONTEXT, uid: 9 })).changed, true);
      assert.equal(calls.started, 2, 'the slot is free again');
      assert.deepEqual(readEvents(eventsPath(dataDir)).map((event) => [event.uid, event.verdict]), [[8, 'timeout'], [7, 'infected'], [9, 'infected']]);
    } finally {
      await close();
    }
  });

  it('evaluate (inboxguard scan, dry runs) rejects with ScanTimeoutError at the deadline', async () => {
    const { pipeline, dataDir, deadline, close } = await pipelineWithFaultInjectingEvaluator(1);
    try {
      await assert.rejects(pipeline.evaluate(infected, CONTEXT, false), ScanTimeoutError);
      deadline(120);
      assert.equal((await pipeline.evaluate(infected, CONTEXT, false)).inspection.verdict, 'infected');
      assert.deepEqual(readEvents(eventsPath(dataDir)), [], 'a dry run writes no event');
    } finally {
      await close();
    }
  });
});
