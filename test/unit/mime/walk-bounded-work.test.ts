import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripParts, walkMessage, walkPart } from '../../../src/mime/index.js';
import { buildTree, TreeBuilder } from '../../../src/mime/tree.js';
import { DEFAULT_WALK_LIMITS, type WalkWork } from '../../../src/mime/types.js';
import { assertBounded, lineCount, workOf } from './bounded-work.js';
import { hugeHeader, manyParts, nestedMixed, nestedMultipart, nestedRfc822 } from '../../helpers/hostile-mime.js';

const { maxDepth, maxParts } = DEFAULT_WALK_LIMITS;

describe('deep nesting ends in a malformed walk after bounded work', () => {
  for (const [name, build] of [
    ['multipart inside multipart', nestedMultipart],
    ['message/rfc822 inside message/rfc822', nestedRfc822],
    ['multipart and message/rfc822 alternating', nestedMixed],
  ] as const) {
    for (const depth of [1_000, 10_000]) {
      it(`${name}, ${depth} levels`, () => {
        const buffer = build(depth);
        const result = walkMessage(buffer);
        assert.match(result.malformed ?? '', new RegExp(`MIME nesting deeper than ${maxDepth}`));
        const work = workOf(result);
        assertBounded(buffer, work);
        assert.ok(result.parts.length >= 1 && result.parts.length <= work.entities);
      });
    }

    it(`${name}: ten times deeper costs at most about ten times the work (no quadratic step)`, () => {
      const small = workOf(walkMessage(build(1_000)));
      const large = workOf(walkMessage(build(10_000)));
      const total = (work: WalkWork) => work.headerLines + work.delimiterCandidates + work.boundaryComparisons;
      assert.ok(total(large) <= 11 * total(small), `${total(small)} → ${total(large)}`);
    });
  }

  it('a nesting just within the limit is walked whole and is not malformed', () => {
    const result = walkMessage(nestedMultipart(maxDepth - 1));
    assert.equal(result.malformed, undefined);
    assert.equal(result.parts.at(-1)?.decode().toString(), 'innermost');
  });

  it('a part fetched alone (BODY[n]) with deep nesting is bounded the same way', () => {
    const whole = nestedMultipart(5_000);
    const body = whole.subarray(whole.indexOf('\r\n\r\n', whole.indexOf('boundary="b0"')) + 4);
    const result = walkPart(body, { header: { contentType: 'multipart/mixed', params: { boundary: 'b0' } }, path: '1' });
    assert.match(result.malformed ?? '', /MIME nesting deeper than/);
    assertBounded(body, workOf(result));
  });

  it('removing a part from a 10,000-deep message walks iteratively (no stack overflow)', () => {
    const buffer = nestedRfc822(10_000);
    const [first] = walkMessage(buffer).parts;
    const stripped = stripParts(buffer, [{ partPath: first.path, notice: 'removed' }]);
    assert.ok(stripped.bytes.length > 0);
  });
});

describe('part counts and header sizes are capped', () => {
  it(`more than ${maxParts} parts: the walk stops creating entities at the limit and says so`, () => {
    const buffer = manyParts(3 * maxParts);
    const result = walkMessage(buffer);
    const work = workOf(result);
    assert.match(result.malformed ?? '', new RegExp(`more than ${maxParts} MIME parts`));
    assert.ok(work.entities <= maxParts + 1, `entities ${work.entities}`);
    assert.ok(result.parts.length <= maxParts + 1);
    assert.ok(work.delimiterCandidates <= lineCount(buffer));
  });

  it('a smaller part limit is honoured the same way', () => {
    const result = walkMessage(manyParts(1_000), { maxParts: 20 });
    assert.ok(workOf(result).entities <= 21);
    assert.match(result.malformed ?? '', /more than 20 MIME parts/);
  });

  it('a header with more lines than the limit is cut there and flagged', () => {
    const buffer = hugeHeader(DEFAULT_WALK_LIMITS.maxHeaderLines + 10);
    const result = walkMessage(buffer);
    assert.match(result.malformed ?? '', /more than \d+ header lines|header larger than/);
    assert.ok(workOf(result).headerLines <= lineCount(buffer));
  });
});

describe('the walk fed in chunks (TreeBuilder) does the same bounded work, and copies each byte a bounded number of times', () => {
  const inputs: [string, Buffer][] = [
    ['multipart inside multipart, 10,000 levels', nestedMultipart(10_000)],
    ['message/rfc822 inside message/rfc822, 10,000 levels', nestedRfc822(10_000)],
    ['alternating, 10,000 levels', nestedMixed(10_000)],
    [`${3 * maxParts} sibling parts`, manyParts(3 * maxParts)],
    ['a 100,000-line header', hugeHeader(100_000)],
    ['a header of 2 MB without a line break', Buffer.from(`X-Long: ${'h'.repeat(2_000_000)}`, 'latin1')],
  ];
  for (const [name, buffer] of inputs) {
    for (const chunk of [1024, 7]) {
      it(`${name}, in ${chunk}-byte chunks`, () => {
        const builder = new TreeBuilder(DEFAULT_WALK_LIMITS);
        for (let at = 0; at < buffer.length; at += chunk) builder.feed(buffer.subarray(at, at + chunk));
        const copied = builder.copiedBytes;
        const work = builder.end().work;
        assert.deepEqual(work, buildTree(buffer, DEFAULT_WALK_LIMITS).work);
        assertBounded(buffer, work);
        assert.ok(copied <= 4 * buffer.length, `${copied} bytes copied for ${buffer.length}`);
      });
    }
  }
});
