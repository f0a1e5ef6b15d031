// Issue #15: a spilled whole message is evaluated from its spool file without being read whole — the
// walk reads it in slices, each part reads its own range — and the evaluation (inspection, decision,
// rewritten bytes, kept original's SHA-256, headline, rules) is the one of the same bytes in memory.
// Counted by the source (reads and the largest buffer a read allocates), not by RSS.
// Checked to fail (locally, not committed): the tail read one byte off, and the worker not closing the
// source after a scan, each fail a test here.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { SOURCE_SLICE_BYTES } from '../../../src/mime/walk-message.js';
import { createInspector, policyFrom } from '../../../src/scan/create-inspector.js';
import { createEvaluator, type Evaluation, type SourceEvaluator } from '../../../src/scan/evaluate.js';
import { openSpilled, type SpilledSource } from '../../../src/scan/read-spilled.js';
import { ScanWorkerPool } from '../../../src/scan/worker-pool.js';
import { base64Lines, randomBytesFromSeed } from '../../helpers/messages.js';
import { scanCorpus } from '../../helpers/scan-corpus.js';
import { waitUntil } from '../../helpers/wait-until.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', listener: 'work', user: 'bob', mailbox: 'INBOX', uid: 7 };
const KiB = 1024;
const MiB = 1024 * KiB;

/** A multipart message of `count` base64 attachments of `size` bytes each. */
function manyAttachments(count: number, size: number): Buffer {
  const parts = Array.from({ length: count }, (_, index) =>
    [`--b`, `Content-Type: application/octet-stream; name="f${index}.bin"`, 'Content-Transfer-Encoding: base64', '', base64Lines(randomBytesFromSeed(size, index + 1))].join('\r\n'),
  );
  return Buffer.from(['Subject: many parts', 'Message-ID: <many@example.org>', 'Content-Type: multipart/mixed; boundary="b"', '', 'preamble', ...parts, '--b--', ''].join('\r\n'), 'latin1');
}

/** The plain data of an evaluation, to compare two of them. */
function comparable(evaluation: Evaluation): unknown {
  return JSON.parse(JSON.stringify(evaluation, (_key, value: unknown) => (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' ? Buffer.from((value as { data: number[] }).data).toString('base64') : value)));
}

describe('a spilled whole message evaluated from its file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-spilled-source-'));
  let evaluate: SourceEvaluator;
  let close: () => Promise<void>;
  let files = 0;
  before(async () => {
    const settings = configSchema.parse({ scan: { engines: ['builtin'] } });
    const engines = await createInspector(settings, dir, ['builtin']);
    close = engines.close;
    evaluate = createEvaluator(engines.inspector, policyFrom(settings));
  });
  after(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The message as BodySpool leaves it: the first bytes in a file, the last `tailBytes` in memory. */
  async function spilled(message: Buffer, tailBytes: number): Promise<SpilledSource> {
    const path = join(dir, `spool-${++files}`);
    const fileBytes = Math.max(0, message.length - tailBytes);
    writeFileSync(path, message.subarray(0, fileBytes), { mode: 0o600 });
    return openSpilled({ path, fileBytes, tail: Buffer.from(message.subarray(fileBytes)) });
  }

  it('gives the evaluation of the same bytes in memory, over the scan corpus, with and without a tail', async () => {
    for (const { name, bytes } of scanCorpus()) {
      const expected = comparable(await evaluate(bytes, CONTEXT));
      for (const tailBytes of [0, 7, 5000]) {
        const source = await spilled(bytes, tailBytes);
        try {
          assert.deepStrictEqual(comparable(await evaluate(source, CONTEXT)), expected, `${name}, tail ${tailBytes}`);
        } finally {
          await source.close();
        }
      }
    }
  });

  it('an 8 MiB message of 80 parts is read in slices of at most 1 MiB, never whole', async () => {
    const message = manyAttachments(80, 75 * KiB);
    const source = await spilled(message, 100);
    try {
      const evaluation = await evaluate(source, CONTEXT);
      assert.equal(evaluation.decision.action, 'deliver');
      assert.ok(source.reads.largest <= SOURCE_SLICE_BYTES, `largest read ${source.reads.largest}`);
      assert.ok(source.reads.reads >= message.length / SOURCE_SLICE_BYTES, `${source.reads.reads} reads`);
      assert.deepStrictEqual(comparable(evaluation), comparable(await evaluate(message, CONTEXT)));
    } finally {
      await source.close();
    }
  });

  it('a single 3 MiB part is read as that part (its decoding is whole until parts stream); the walk stops after its header', async () => {
    const content = randomBytesFromSeed(3 * MiB, 9);
    const message = Buffer.from(['Subject: one part', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', base64Lines(content)].join('\r\n'), 'latin1');
    const source = await spilled(message, 0);
    try {
      await evaluate(source, CONTEXT);
      const bodyStart = message.indexOf('\r\n\r\n') + 4;
      // The envelope's first 64 KiB, the walk's first slice (it needs no more after a single part's
      // header), then the part's body once, to decode it.
      assert.ok(source.reads.largest <= message.length - bodyStart, `largest read ${source.reads.largest}`);
      assert.ok(source.reads.bytes <= 64 * KiB + SOURCE_SLICE_BYTES + (message.length - bodyStart), `${source.reads.bytes} bytes read`);
    } finally {
      await source.close();
    }
  });
});

describe('a scan worker closes the spool file it scans from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-spilled-worker-'));
  const settings = configSchema.parse({ scan: { engines: ['builtin'] } });
  let pool: ScanWorkerPool;
  before(() => {
    pool = new ScanWorkerPool(1, { config: settings, dataDir: dir, engineNames: ['builtin'], verdicts: false });
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const openCount = (path: string) =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    }).length;

  it('after a scan, clean or failed', async () => {
    const message = manyAttachments(4, 64 * KiB);
    const path = join(dir, 'spool-done');
    writeFileSync(path, message.subarray(0, message.length - 10), { mode: 0o600 });
    const evaluation = await pool.evaluate({ path, fileBytes: message.length - 10, tail: Buffer.from(message.subarray(message.length - 10)) }, CONTEXT);
    assert.equal(evaluation.decision.action, 'deliver');
    assert.equal(openCount(path), 0);
    // A file shorter than it is said to be: the scan fails, the file is closed all the same.
    await assert.rejects(pool.evaluate({ path, fileBytes: message.length + 100, tail: Buffer.alloc(0) }, CONTEXT), /shorter than the body/);
    assert.equal(openCount(path), 0);
  });

  it('when the scan is cancelled while it reads the file (its worker is terminated)', async () => {
    const message = manyAttachments(60, 512 * KiB);
    const path = join(dir, 'spool-cancelled');
    writeFileSync(path, message, { mode: 0o600 });
    const abort = new AbortController();
    const scanning = pool.evaluate({ path, fileBytes: message.length, tail: Buffer.alloc(0) }, CONTEXT, abort.signal);
    let settled = false;
    scanning.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (openCount(path) === 0 && !settled) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'the scan was still reading when it was cancelled');
    abort.abort(new Error('cancelled by the test'));
    await assert.rejects(scanning, /cancelled by the test/);
    await waitUntil(() => openCount(path) === 0, 'the terminated worker closed the spool file');
  });
});
