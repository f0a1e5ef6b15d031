import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { base64Problem, decodeBase64, decodeBase64Inspected, inspectBase64 } from '../../../../src/mime/decode/base64.js';
import { walkMessage, walkPart } from '../../../../src/mime/index.js';
import { referenceDecode, referenceInspection } from './reference-base64.js';
import { brokenBase64, lines, mutate, ODD_BASE64, textMutation } from './text-mutations.js';


const layout = fc.record({
  lineChars: fc.constantFrom(1, 3, 4, 60, 64, 72, 76, 77, 1000),
  eol: fc.constantFrom('\r\n', '\n', '\r'),
  finalEol: fc.boolean(),
});

const mutation = textMutation(ODD_BASE64);

function agrees(body: Buffer, message: string): void {
  const inspection = referenceInspection(body);
  const bytes = referenceDecode(body);
  assert.deepEqual(inspectBase64(body), inspection, `inspection: ${message}`);
  assert.ok(decodeBase64(body).equals(bytes), `decoded bytes: ${message}`);
  const inspected = decodeBase64Inspected(body);
  assert.deepEqual(inspected.inspection, inspection, `inspection while decoding: ${message}`);
  assert.ok(inspected.bytes.equals(bytes), `bytes decoded with the inspection: ${message}`);
  agreesInWalk(body, bytes, base64Problem(inspection), message);
}

/**
 * A base64 part learns its problem when decoded: `malformed` of the part and of the walk must be what
 * the reference inspection makes them, whether read before decoding, after it, or without it.
 */
function agreesInWalk(body: Buffer, bytes: Buffer, problem: string | undefined, message: string): void {
  const walkProblem = problem === undefined ? undefined : `part 1: ${problem}`;
  // Large bodies are walked one way only, to keep the test quick; the small ones cover every way.
  const large = body.length > 64 * 1024;
  for (const contentType of large ? ['application/octet-stream'] : ['application/octet-stream', 'text/plain']) {
    const walks = {
      message: () => walkMessage(Buffer.concat([Buffer.from(`Content-Type: ${contentType}\r\nContent-Transfer-Encoding: base64\r\n\r\n`), body])),
      part: () => walkPart(body, { header: { contentType, transferEncoding: 'base64' }, path: '1' }),
    };
    for (const [kind, walk] of Object.entries(large ? { message: walks.message } : walks)) {
      for (const order of ['malformed first', 'decode first', 'never decoded']) {
        const where = `${message} ${contentType} ${kind} ${order}`;
        const result = walk();
        const [part] = result.parts;
        // A text part is searched for uuencoded blocks; decoded random bytes might hold one.
        const onePart = result.parts.length === 1;
        if (order === 'decode first') assert.ok(part.decode().equals(bytes), `decoded part: ${where}`);
        assert.equal(part.malformed, problem, `part malformed: ${where}`);
        if (onePart) assert.equal(result.malformed, walkProblem, `walk malformed: ${where}`);
        if (order === 'malformed first') assert.ok(part.decode().equals(bytes), `decoded part: ${where}`);
        assert.equal(part.malformed, problem, `part malformed, asked again: ${where}`);
        if (onePart) assert.deepEqual({ ...result }.malformed, walkProblem, `walk malformed, copied: ${where}`);
      }
    }
  }
}

describe('base64: the native fast path agrees with the byte-by-byte reference', () => {
  it('on clean and broken bodies of every layout', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        layout,
        fc.array(mutation, { maxLength: 3 }),
        fc.option(fc.nat({ max: 4000 }), { nil: undefined }),
        fc.boolean(),
        (data, layout, mutations, cut, concatenated) => {
          const text = brokenBase64(data, layout, mutations, cut, concatenated);
          agrees(Buffer.from(text, 'latin1'), JSON.stringify({ ...layout, mutations, cut, concatenated, length: data.length }));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('on bodies of several native chunks, broken anywhere', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000_000, max: 3_200_000 }),
        fc.constantFrom(['\r\n', 76], ['\n', 76], ['\r\n', 64], ['\n', 72]),
        fc.array(mutation, { maxLength: 2 }),
        (size, [eol, lineChars], mutations) => {
          const text = mutate(lines(randomBytes(size).toString('base64'), lineChars as number, eol as string, true), mutations);
          agrees(Buffer.from(text, 'latin1'), JSON.stringify({ size, eol, lineChars, mutations }));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('finds one stray byte deep inside a large regular body', () => {
    const text = lines(randomBytes(3_000_000).toString('base64'), 76, '\r\n', true);
    for (const odd of ['-', '_', '\x00', '=', ' ', '\n']) {
      for (const at of [5, 1_500_000, text.length - 300]) {
        const body = Buffer.from(text.slice(0, at) + odd + text.slice(at + 1), 'latin1');
        agrees(body, JSON.stringify({ odd, at }));
      }
    }
  });

  it('reports a truncated quantum and data after padding', () => {
    assert.deepEqual(inspectBase64(Buffer.from('QUJDR')), { invalidBytes: 0, dataAfterPadding: false, remainder: 1 });
    assert.deepEqual(inspectBase64(Buffer.from('QQ==\r\nQUJD\r\n')), { invalidBytes: 0, dataAfterPadding: true, remainder: 2 });
    assert.equal(decodeBase64(Buffer.from('QQ==\r\nQUJD\r\n')).toString('latin1'), 'AABC');
  });
});
