// Sizes stay true (issue 12 §5): an infected attachment of any size, 1 byte to 1 MB, is replaced so that the
// message keeps its exact size; decoration (subject tag, X-InboxGuard) yields before size does, in steps.
// Real builtin engine and the shipped rules; the body signature Test.EICAR.Body matches anywhere in a file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { walkMessage } from '../../../src/mime/index.js';
import type { BodyContext } from '../../../src/protocol/engine.js';
import { createScanSetup } from '../../../src/scan/create-pipeline.js';
import { renderBlocked } from '../../../src/scan/evaluate.js';
import type { ScanReport } from '../../../src/scan/pipeline.js';
import { plainText, randomBytesFromSeed, withAttachments } from '../../helpers/messages.js';

const CONTEXT: BodyContext = { protocol: 'imap', section: 'BODY[]' };
const SIGNATURE = Buffer.from('EICAR-STANDARD-ANTIVIRUS-TEST-FILE', 'latin1');
const TAG = '[inboxguard: attachment removed]';

type Setup = Awaited<ReturnType<typeof createScanSetup>>;
const dirs: string[] = [];
let shipped: Setup;
let byName: Setup;

before(async () => {
  const dir = (label: string) => {
    const path = mkdtempSync(join(tmpdir(), `inboxguard-size-ladder-${label}-`));
    dirs.push(path);
    return path;
  };
  shipped = await createScanSetup(configSchema.parse({}), dir('shipped'), undefined, ['builtin'], {});
  // Below the signature's own length nothing can match it: a rule removes those attachments by name.
  const removeByName = { id: 'r-by-name', name: 'by name', level: 'attachment', conditions: [{ field: 'file-name', op: 'glob', value: '*.com' }], actions: ['delete-attachment'] };
  byName = await createScanSetup(configSchema.parse({ rules: { transport: [removeByName] } }), dir('by-name'), undefined, ['builtin'], {});
});
after(async () => {
  await shipped?.close();
  await byName?.close();
  dirs.forEach((path) => rmSync(path, { recursive: true, force: true }));
});

function infected(size: number): Buffer {
  const content = size >= SIGNATURE.length ? Buffer.concat([SIGNATURE, randomBytesFromSeed(size - SIGNATURE.length, size)]) : randomBytesFromSeed(size, size);
  return withAttachments({ seed: 3, subject: 'figures', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content }] });
}

async function scanned(size: number): Promise<{ original: Buffer; outcome: ScanReport }> {
  const original = infected(size);
  const setup = size >= SIGNATURE.length ? shipped : byName;
  return { original, outcome: await setup.pipeline.evaluate(original, CONTEXT, false) };
}

/** What a delivery kept, from richest (full notice, every decoration) down. */
function stateOf(outcome: ScanReport): string {
  const dropped = outcome.decorationDropped;
  return [dropped?.notice ?? 'full', ...(dropped?.dropped ?? [])].join(' | ');
}

const LADDER = [
  'minimal | subject tag "[inboxguard: attachment removed]" | header X-InboxGuard',
  'short | subject tag "[inboxguard: attachment removed]" | header X-InboxGuard',
  'short | subject tag "[inboxguard: attachment removed]"',
  'short',
  'full',
];

describe('an infected attachment of any size keeps the message size', () => {
  it('1 byte to 1 MB, around every step of the fallback, with the steps in order', async () => {
    const sizes = [...Array.from({ length: 700 }, (_, index) => index + 1), 1000, 4096, 65535, 65536, 65537, 1024 * 1024];
    const states: string[] = [];
    for (const size of sizes) {
      const { original, outcome } = await scanned(size);
      assert.equal(outcome.decision.action, 'strip', `size ${size}`);
      const bytes = outcome.rewritten?.bytes;
      assert.ok(bytes, `size ${size}: rewritten`);
      assert.equal(bytes.length, original.length, `size ${size}: exact size`);
      assert.equal(outcome.rewritten?.sizePreserved, true);
      const after = walkMessage(bytes);
      assert.equal(after.malformed, undefined, `size ${size}`);
      assert.ok(!after.parts.some((part) => part.decode().includes(SIGNATURE)), `size ${size}: the signature is gone`);
      assert.deepEqual(after.parts[0].decode(), walkMessage(original).parts[0].decode(), `size ${size}: the text part is untouched`);
      const removed = after.parts[1].decode().toString('latin1');
      const state = stateOf(outcome);
      if (state.startsWith('minimal')) assert.match(removed, /^Removed by inboxguard: q-[0-9a-f]{20}[ \r\n]*$/, `size ${size}`);
      else assert.equal(after.parts[1].fileName, 'eicar.com.removed.txt', `size ${size}`);
      const subject = bytes.toString('latin1').match(/\r\nSubject: ([^\r]*)/)?.[1];
      assert.equal(subject, state.includes('subject tag') ? 'figures' : `${TAG} figures`, `size ${size}`);
      assert.equal(bytes.toString('latin1').startsWith('X-InboxGuard: infected'), !state.includes('header X-InboxGuard'), `size ${size}`);
      if (states.at(-1) !== state) states.push(state);
    }
    assert.deepEqual(states, LADDER, 'each step appears once, in order, as the attachment grows');
  });

  it('the event names what was dropped and why', async () => {
    const { original, outcome } = await scanned(40);
    assert.deepEqual(outcome.decorationDropped, {
      dropped: [`subject tag "${TAG}"`, 'header X-InboxGuard'],
      notice: 'minimal',
      reason: `the message keeps its size of ${original.length} bytes, which the client may already know`,
    });
  });

  it('a part fetched alone (BODY[2]) and a body without its header (BODY[TEXT]) keep their sizes too', async () => {
    for (const size of [1, 40, 90, 300, 5000]) {
      const message = infected(size);
      const part = walkMessage(message).parts[1];
      const setup = size >= SIGNATURE.length ? shipped : byName;
      const partBody = message.subarray(part.bodyRange.start, part.bodyRange.end);
      const header = message.subarray(part.headerRange.start, part.headerRange.end);
      const alone = await setup.pipeline.evaluate(partBody, { protocol: 'imap', section: 'BODY[2]', isPart: true, partHeader: header }, false);
      assert.equal(alone.rewritten?.bytes.length, partBody.length, `BODY[2] of ${size}`);
      const text = message.subarray(message.indexOf('\r\n\r\n') + 4);
      const withoutHeader = await setup.pipeline.evaluate(text, { protocol: 'imap', section: 'BODY[TEXT]' }, false);
      assert.equal(withoutHeader.rewritten?.bytes.length, text.length, `BODY[TEXT] of ${size}`);
    }
  });
});

describe('the order in which decoration yields', () => {
  it('subject tags first, then the rules\' header fields, then X-InboxGuard', async () => {
    const route = { id: 'r-route', name: 'route', level: 'filtering', conditions: [], actions: [{ 'add-header': { name: 'X-Route', value: 'work' } }, { 'tag-subject': '[ext]' }] };
    const removeByName = { id: 'r-by-name', name: 'by name', level: 'attachment', conditions: [{ field: 'file-name', op: 'glob', value: '*.com' }], actions: ['delete-attachment'] };
    const dir = mkdtempSync(join(tmpdir(), 'inboxguard-size-ladder-order-'));
    dirs.push(dir);
    const setup = await createScanSetup(configSchema.parse({ rules: { transport: [route, removeByName] } }), dir, undefined, ['builtin'], {});
    try {
      const seen: string[] = [];
      for (let size = 1; size <= 400; size++) {
        const original = infected(size);
        const outcome = await setup.pipeline.evaluate(original, CONTEXT, false);
        assert.equal(outcome.rewritten?.bytes.length, original.length, `size ${size}`);
        const dropped = (outcome.decorationDropped?.dropped ?? []).join(' | ');
        if (seen.at(-1) !== dropped) seen.push(dropped);
      }
      const tags = `subject tag "${TAG}" | subject tag "[ext]"`;
      assert.deepEqual(seen, [`${tags} | header X-Route | header X-InboxGuard`, `${tags} | header X-Route`, tags, '']);
    } finally {
      await setup.close();
    }
  });
});

describe('a withheld message keeps its size', () => {
  it('a blocked message of any size down to its kept header fields and one line break', () => {
    const policy = { onError: 'block' as const, subjectTag: TAG, markClean: false, rules: [] };
    for (const lines of [0, 1, 2, 3, 5, 10, 40]) {
      const original = plainText({ seed: lines, lines });
      const blocked = renderBlocked(original, CONTEXT, 'its scan took too long', 'timeout', ['builtin'], policy);
      assert.equal(blocked.length, original.length, `${lines} lines`);
      assert.match(blocked.toString('latin1'), /\r\nSubject: Test message/);
      assert.doesNotMatch(blocked.toString('latin1'), /lorem|ipsum/);
    }
  });
});

describe('mark-only verdicts do not grow the message', () => {
  it('a rule that only adds a header: delivered byte for byte, the event records the header', async () => {
    const warn = { id: 'r-warn', name: 'warn', level: 'result', conditions: [], actions: [{ 'add-header': { name: 'X-InboxGuard-Warning', value: 'not fully checked' } }] };
    const dir = mkdtempSync(join(tmpdir(), 'inboxguard-size-ladder-warn-'));
    dirs.push(dir);
    const setup = await createScanSetup(configSchema.parse({ rules: { transport: [warn] }, actions: { markClean: true } }), dir, undefined, ['builtin'], {});
    try {
      const original = plainText({ seed: 4 });
      const outcome = await setup.pipeline.evaluate(original, CONTEXT, false);
      assert.equal(outcome.rewritten, undefined);
      assert.deepEqual(outcome.decorationDropped?.dropped, ['header X-InboxGuard-Warning', 'header X-InboxGuard']);
      assert.match(outcome.decorationDropped?.reason ?? '', /keeps its size/);
    } finally {
      await setup.close();
    }
  });
});
