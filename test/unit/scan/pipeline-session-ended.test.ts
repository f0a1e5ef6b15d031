// A session that ends while its body is being scanned (the client vanished): the spool is disposed under
// the scan. The scan is cancelled (nobody will receive its result): no "scan failed" event, no
// error-level log line, no unhandled rejection, no spool directory left. Real scan workers, the builtin
// engine, real spool files; no sockets.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import pino from 'pino';
import { configSchema } from '../../../src/config/schema.js';
import { BodySpool, nodeSpoolFiles, type SpoolFiles } from '../../../src/proxy/body-spool.js';
import { createInspector, policyFrom } from '../../../src/scan/create-inspector.js';
import { createScanSetup, type ScanSetup } from '../../../src/scan/create-pipeline.js';
import { createEvaluator } from '../../../src/scan/evaluate.js';
import { ScanPipeline } from '../../../src/scan/pipeline.js';
import { scanPayloads } from '../../../src/scan/worker-pool.js';
import { EventLog, eventsPath, readEvents } from '../../../src/store/events.js';
import { Quarantine, quarantineDir } from '../../../src/store/quarantine.js';
import { bigMessage, withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';
import { failTestsOnEscapedErrors } from '../../helpers/escaped-errors.js';
import { waitUntil } from '../../helpers/wait-until.js';

const KiB = 1024;
const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', mailbox: 'INBOX', uidValidity: '1', uid: 7 };
const message = bigMessage(2 * 1024 * KiB);

interface Harness {
  setup: ScanSetup;
  dataDir: string;
  /** Where this harness's spools make their directories. */
  spoolRoot: string;
  files: SpoolFiles;
  /** pino levels of every line the pipeline logged. */
  levels: number[];
  close(): Promise<void>;
}

async function harness(maxConcurrentScans = 2): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-session-ended-'));
  const spoolRoot = join(dataDir, 'spool');
  mkdirSync(spoolRoot, { mode: 0o700 });
  const levels: number[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) levels.push((JSON.parse(line) as { level: number }).level);
      callback();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const setup = await createScanSetup(configSchema.parse({ scan: { maxConcurrentScans } }), dataDir, log, undefined, { workers: true });
  return {
    setup,
    dataDir,
    spoolRoot,
    files: { ...nodeSpoolFiles, makeDir: () => mkdtemp(join(spoolRoot, 'inboxguard-spool-')) },
    levels,
    async close() {
      await setup.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A spool that spills beyond 64 KiB (or keeps the body in memory), fed as a socket would. */
async function spooled(h: Harness, body: Buffer, memoryLimit = 64 * KiB): Promise<BodySpool> {
  const spool = new BodySpool(memoryLimit, { files: h.files });
  for (let offset = 0; offset < body.length; offset += 16 * KiB) spool.append(body.subarray(offset, offset + 16 * KiB));
  await spool.finish();
  return spool;
}

async function spoolDirsLeft(h: Harness): Promise<string[]> {
  // Removal is asynchronous (the thread pool): give it a moment before counting.
  for (let attempt = 0; attempt < 100 && readdirSync(h.spoolRoot).length > 0; attempt++) await sleep(10);
  return readdirSync(h.spoolRoot);
}

const PINO_ERROR = 50;

failTestsOnEscapedErrors();

describe('a scan whose session ends before it is done', () => {
  it('a spilled body disposed while a (starting) worker is about to read its file: cancelled, nothing recorded, no file left', async () => {
    const h = await harness();
    try {
      const spool = await spooled(h, message);
      assert.equal(spool.spilled, true);
      const handedOver = scanPayloads.spilledFile;
      const scan = h.setup.pipeline.scan(spool, { ...CONTEXT });
      // The worker has been handed the file's path; it has not read it yet (it is still starting).
      await waitUntil(() => scanPayloads.spilledFile > handedOver);
      spool.dispose();
      assert.deepEqual(await scan, { changed: false }, 'what is answered goes nowhere; it decides nothing (and is not a clean verdict to keep)');
      assert.deepEqual(readEvents(eventsPath(h.dataDir)), [], 'no event: no "scan failed" for a message nobody will receive');
      assert.deepEqual(
        h.levels.filter((level) => level >= PINO_ERROR),
        [],
        'nothing logged at error level',
      );
      assert.deepEqual(await spoolDirsLeft(h), [], 'the spool directory was removed');
      // The pool still scans the next message (a fresh spool, same pipeline).
      const next = await spooled(h, message);
      assert.deepEqual(await h.setup.pipeline.scan(next, { ...CONTEXT }), { changed: false, clean: true });
      next.dispose();
      assert.equal(readEvents(eventsPath(h.dataDir)).length, 1, 'the next message has its event');
      assert.equal(readEvents(eventsPath(h.dataDir))[0]?.verdict, 'clean');
      assert.deepEqual(await spoolDirsLeft(h), []);
    } finally {
      await h.close();
    }
  });

  it('a spilled body disposed while it waits for a scan slot: leaves the queue, nothing recorded; the scan ahead of it is unaffected', async () => {
    const h = await harness(1);
    try {
      const first = await spooled(h, message);
      const second = await spooled(h, message);
      const ahead = h.setup.pipeline.scan(first, { ...CONTEXT, uid: 1 });
      const waiting = h.setup.pipeline.scan(second, { ...CONTEXT, uid: 2 });
      second.dispose();
      assert.deepEqual(await waiting, { changed: false });
      assert.deepEqual(await ahead, { changed: false, clean: true });
      first.dispose();
      const events = readEvents(eventsPath(h.dataDir));
      assert.deepEqual(
        events.map((event) => [event.uid, event.verdict]),
        [[1, 'clean']],
        'only the message whose session is still there has an event',
      );
      assert.deepEqual(
        h.levels.filter((level) => level >= PINO_ERROR),
        [],
      );
      assert.deepEqual(await spoolDirsLeft(h), []);
    } finally {
      await h.close();
    }
  });

  it('a body held in memory disposed while a worker scans it: cancelled the same way, nothing recorded', async () => {
    const h = await harness();
    try {
      const spool = await spooled(h, message, 4 * 1024 * KiB);
      assert.equal(spool.spilled, false);
      const handedOver = scanPayloads.shared;
      const scan = h.setup.pipeline.scan(spool, { ...CONTEXT });
      await waitUntil(() => scanPayloads.shared > handedOver);
      spool.dispose();
      assert.deepEqual(await scan, { changed: false });
      assert.deepEqual(readEvents(eventsPath(h.dataDir)), []);
      assert.deepEqual(
        h.levels.filter((level) => level >= PINO_ERROR),
        [],
      );
    } finally {
      await h.close();
    }
  });

  it('a scan that settled before its session ended is recorded as usual (disposal after the verdict cancels nothing)', async () => {
    const h = await harness();
    try {
      const spool = await spooled(h, message);
      assert.deepEqual(await h.setup.pipeline.scan(spool, { ...CONTEXT }), { changed: false, clean: true });
      spool.dispose();
      assert.deepEqual(
        readEvents(eventsPath(h.dataDir)).map((event) => event.verdict),
        ['clean'],
      );
      assert.deepEqual(await spoolDirsLeft(h), []);
    } finally {
      await h.close();
    }
  });
});

/** FAULT INJECTION: the real quarantine, whose writes become durable only when the test says so (a slow disk). */
class SlowDiskQuarantine extends Quarantine {
  readonly begun: string[] = [];
  private gate: Promise<void>;
  release!: () => void;

  constructor(dir: string) {
    super(dir);
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  override begin(...args: Parameters<Quarantine['begin']>): ReturnType<Quarantine['begin']> {
    const { record, durable } = super.begin(...args);
    this.begun.push(record.id);
    return { record, durable: Promise.all([durable, this.gate]).then(() => undefined) };
  }
}

describe('a session that ends while the original is being quarantined', () => {
  it('the quarantine entry is kept and gets its event (the scan is not taken back)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-session-ended-q-'));
    const settings = configSchema.parse({ scan: { engines: ['builtin'] } });
    const engines = await createInspector(settings, dataDir, ['builtin']);
    const quarantine = new SlowDiskQuarantine(quarantineDir(dataDir));
    const pipeline = new ScanPipeline({
      evaluate: createEvaluator(engines.inspector, policyFrom(settings)),
      engineNames: ['builtin'],
      policy: policyFrom(settings),
      quarantine,
      events: new EventLog(eventsPath(dataDir)),
      maxConcurrentScans: 1,
      timeoutSeconds: 60,
    });
    try {
      const infected = withAttachments({ seed: 9, subject: 'virus', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
      const spool = new BodySpool(1024 * KiB);
      spool.append(infected);
      await spool.finish();
      const scan = pipeline.scan(spool, { ...CONTEXT });
      await waitUntil(() => quarantine.begun.length === 1);
      spool.dispose();
      quarantine.release();
      const result = await scan;
      assert.equal(result.changed, true, 'what the scan decided is answered (the session is gone; nobody reads it)');
      const events = readEvents(eventsPath(dataDir));
      assert.deepEqual(
        events.map((event) => [event.verdict, event.quarantineId]),
        [['infected', quarantine.begun[0]]],
      );
      assert.equal(quarantine.list().length, 1);
    } finally {
      await engines.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
