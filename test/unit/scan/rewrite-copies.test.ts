// Stripping a large infected attachment writes the message once: the stripped message, its padded
// replacement in place of the part, is rendered straight into the caller's allocation (a worker's shared
// memory, which then crosses to the proxy without another copy) behind room for the marking, and only the
// marked header block is written in front. Before: padding, padded notice, spliced message, subject tag,
// each header field, and the shared copy — six message-sized buffers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { addHeader, replaceMessageKeepingSize, tagSubject, type NoticeLadder } from '../../../src/mime/index.js';
import { messageNotices, partNotices } from '../../../src/scan/notice.js';
import { applyDecision, markMessage, type Marking } from '../../../src/scan/apply-decision.js';
import { shapeOf } from '../../../src/scan/body-shape.js';
import { createInspector, policyFrom } from '../../../src/scan/create-inspector.js';
import { createEvaluator, type Evaluation, type Evaluator } from '../../../src/scan/evaluate.js';
import { randomBytesFromSeed, withAttachments } from '../../helpers/messages.js';
import { scanCorpus } from '../../helpers/scan-corpus.js';
import { EICAR } from './archive/archive-builders.js';
import { writeZip } from './archive/zip-writer.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', listener: 'work', user: 'bob', mailbox: 'INBOX', uid: 7 };
const MARKING: Marking = { header: 'infected; engine=builtin; version=test; action=strip', subjectTags: ['[inboxguard: attachment removed]'], headers: [{ name: 'X-Rule', value: 'zip' }] };
const LARGE = 64 * 1024;

/** Sizes of the Buffers of at least LARGE bytes allocated while `run` runs (Buffer.concat allocates through allocUnsafe). */
function largeAllocations<T>(run: () => T): { result: T; sizes: number[] } {
  const sizes: number[] = [];
  const { alloc, allocUnsafe, allocUnsafeSlow } = Buffer;
  const counted = <F extends (size: number, ...rest: never[]) => Buffer>(original: F): F =>
    ((size: number, ...rest: never[]) => {
      if (size >= LARGE) sizes.push(size);
      return original.call(Buffer, size, ...rest);
    }) as F;
  Buffer.alloc = counted(alloc);
  Buffer.allocUnsafe = counted(allocUnsafe);
  Buffer.allocUnsafeSlow = counted(allocUnsafeSlow);
  try {
    return { result: run(), sizes };
  } finally {
    Object.assign(Buffer, { alloc, allocUnsafe, allocUnsafeSlow });
  }
}

/** What markMessage did before: each mark applied to the whole message in turn. */
function markedWhole(message: Buffer, marking: Marking): Buffer {
  let marked = message;
  for (const tag of marking.subjectTags) if (tag) marked = tagSubject(marked, tag);
  for (const { name, value } of marking.headers) marked = addHeader(marked, name, value);
  return marking.header === undefined ? marked : addHeader(marked, 'X-InboxGuard', marking.header);
}

function ladder(notices: NoticeLadder) {
  return { notice: notices.full, shortNotice: notices.short, minimalNotice: notices.minimal };
}

describe('rewriting an infected message', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-rewrite-'));
  const zip = writeZip([
    { name: 'eicar.com', data: EICAR },
    { name: 'payload.bin', data: randomBytesFromSeed(2 * 1024 * 1024, 5), method: 'store' },
  ]);
  const message = withAttachments({ seed: 9, subject: 'infected', attachments: [{ filename: 'data.zip', contentType: 'application/zip', content: zip }] });
  let evaluate: Evaluator;
  let close: () => Promise<void>;
  let evaluation: Evaluation;
  before(async () => {
    const settings = configSchema.parse({ scan: { engines: ['builtin'] } });
    const engines = await createInspector(settings, dataDir, ['builtin']);
    close = engines.close;
    evaluate = createEvaluator(engines.inspector, policyFrom(settings));
    evaluation = await evaluate(message, CONTEXT);
  });
  after(async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes one message-sized buffer, where the caller allocates it', () => {
    assert.equal(evaluation.decision.action, 'strip');
    if (evaluation.decision.action !== 'strip') return;
    const decision = evaluation.decision;
    const allocated: Buffer[] = [];
    const intoShared = (length: number): Buffer => {
      const bytes = Buffer.from(new SharedArrayBuffer(length));
      allocated.push(bytes);
      return bytes;
    };
    const { result, sizes } = largeAllocations(() => applyDecision(message, shapeOf(message, CONTEXT), decision, MARKING, evaluation.quarantineId, ['Eicar-Test-Signature'], intoShared));
    assert.equal(result.bytes.length, message.length);
    assert.equal(result.sizePreserved, true);
    assert.ok(result.bytes.includes(Buffer.from('X-InboxGuard: infected')));
    assert.ok(!result.bytes.includes(Buffer.from(zip.subarray(0, 4096).toString('base64').slice(0, 64))), 'the zip is gone');
    assert.equal(allocated.length, 1);
    assert.equal(result.bytes.buffer, allocated[0].buffer);
    assert.equal(allocated[0].length, message.length);
    assert.deepEqual(sizes, [], 'no other message-sized buffer');
  });

  it('delivers what rendering with the growth reserved, then marking the whole result, delivered', () => {
    assert.equal(evaluation.decision.action, 'strip');
    if (evaluation.decision.action !== 'strip') return;
    const { parts } = evaluation.decision;
    const shape = shapeOf(message, CONTEXT);
    const quarantineId = evaluation.quarantineId;
    const headerEnd = message.indexOf('\r\n\r\n') + 4;
    const cases = [
      { decision: evaluation.decision, render: (reserve: number) => shape.strip(parts.map((part) => ({ partPath: part.path, ...ladder(partNotices(part, quarantineId)) })), reserve) },
      ...(['replace-message', 'block'] as const).map((action) => ({
        decision: { ...evaluation.decision, action, reason: 'a threat was found' },
        render: (reserve: number) => replaceMessageKeepingSize(message, messageNotices('a threat was found', ['Eicar-Test-Signature'], quarantineId), reserve),
      })),
    ];
    const markings: Marking[] = [MARKING, { subjectTags: [], headers: [] }, { subjectTags: ['[x]'], headers: [] }, { subjectTags: ['infected'], headers: [], header: 'v' }];
    for (const { decision, render } of cases) {
      for (const marking of markings) {
        const growth = markedWhole(message.subarray(0, headerEnd), marking).length - headerEnd;
        const before = render(growth);
        assert.ok(before.sizePreserved && before.noticeForms?.every((form) => form === 'full' || form === 'short'), 'the first decoration step fits');
        const now = applyDecision(message, shape, decision, marking, quarantineId, ['Eicar-Test-Signature']);
        assert.deepEqual(now.bytes, markedWhole(before.bytes, marking), `${decision.action} ${JSON.stringify(marking)}`);
      }
    }
  });

  it('marks the header block exactly as marking the whole message did, for every corpus message and marking', () => {
    const markings: Marking[] = [
      MARKING,
      { subjectTags: [], headers: [], header: 'clean; engine=builtin' },
      { subjectTags: ['[a]', '', '[b]'], headers: [{ name: 'X-One', value: 'Grüße' }, { name: 'X-Two', value: 'x\r\ny' }] },
      { subjectTags: ['[inboxguard: attachment removed]'], headers: [] },
    ];
    const odd = [Buffer.from('Subject: no body, no blank line'), Buffer.from('\r\nbody without a header\r\n'), Buffer.from('From: a@b\nSubject: bare LF\n\nbody\n'), Buffer.alloc(0)];
    for (const bytes of [...scanCorpus().map((entry) => entry.bytes), ...odd]) {
      for (const marking of markings) assert.deepEqual(markMessage(bytes, marking), markedWhole(bytes, marking), bytes.subarray(0, 60).toString('latin1'));
    }
  });
});
