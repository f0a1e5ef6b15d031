import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stripParts, stripSinglePart, walkMessage } from '../../../src/mime/index.js';
import { decodeBase64 } from '../../../src/mime/decode/base64.js';
import { decodeQuotedPrintable } from '../../../src/mime/decode/quoted-printable.js';
import { encodeQuotedPrintable } from '../../../src/mime/encode/quoted-printable.js';
import { messageArbitrary } from './arbitrary-mime.js';

const NOTICE = 'Removed: Eicar-Test-Signature.';
/** Generous room for the replacement's own header lines (long encoded names included). */
const HEADER_ALLOWANCE = 600;

describe('walkMessage on generated MIME trees', () => {
  it('finds every leaf with its IMAP path, type, file name and decoded content', () => {
    fc.assert(
      fc.property(messageArbitrary, (generated) => {
        const result = walkMessage(generated.bytes);
        assert.equal(result.malformed, undefined);
        const leaves = result.parts.filter((part) => part.origin === 'mime');
        assert.deepEqual(
          leaves.map((part) => part.path),
          generated.leaves.map((leaf) => leaf.path),
        );
        leaves.forEach((part, index) => {
          const expected = generated.leaves[index];
          assert.ok(part.decode().equals(expected.content), `content of ${part.path}`);
          assert.equal(part.contentType, expected.contentType);
          assert.equal(part.fileName, expected.fileName);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('stripParts on generated MIME trees', () => {
  it('replaces any single leaf, keeps every other byte and the size, and shows the notice whenever it fits', () => {
    const withLeafIndex = messageArbitrary.chain((generated) => fc.tuple(fc.constant(generated), fc.nat({ max: generated.leaves.length - 1 })));
    fc.assert(
      fc.property(withLeafIndex, ([generated, leafIndex]) => {
        const original = generated.bytes;
        const before = walkMessage(original).parts.filter((part) => part.origin === 'mime');
        const target = before[leafIndex];
        const { bytes, sizePreserved, noticeForms } = stripParts(original, [{ partPath: target.path, notice: NOTICE }]);
        const entityLength = target.bodyRange.end - target.headerRange.start;
        if (entityLength >= NOTICE.length + HEADER_ALLOWANCE) assert.deepEqual(noticeForms, ['full']);
        assert.equal(sizePreserved, true);
        assert.equal(bytes.length, original.length);
        const start = target.headerRange.start;
        const tail = original.length - target.bodyRange.end;
        assert.ok(bytes.subarray(0, start).equals(original.subarray(0, start)), 'prefix unchanged');
        assert.ok(bytes.subarray(bytes.length - tail).equals(original.subarray(original.length - tail)), 'suffix unchanged');

        const after = walkMessage(bytes);
        assert.equal(after.malformed, undefined);
        const afterLeaves = after.parts.filter((part) => part.origin === 'mime');
        assert.deepEqual(afterLeaves.map((part) => part.path), before.map((part) => part.path));
        afterLeaves.forEach((part, index) => {
          if (index === leafIndex) {
            assert.equal(part.contentType, 'text/plain');
            const text = part.decode().toString();
            if (noticeForms?.[0] === 'full') {
              assert.ok(part.fileName?.endsWith('.removed.txt'));
              assert.ok(text.startsWith(NOTICE), text);
              assert.match(text.slice(NOTICE.length), /^[ \r\n]*$/);
            } else {
              assert.match(text, /^(Removed by inboxguard\.|Removed\.)?[ \r\n]*$/, text);
            }
          } else {
            assert.ok(part.decode().equals(before[index].decode()), `part ${part.path} unchanged`);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('stripSinglePart on generated bodies', () => {
  it('keeps base64 size and layout, and decodes to the notice whenever it fits', () => {
    const body = fc.tuple(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 4, max: 120 }), fc.constantFrom('\r\n', '\n'), fc.boolean());
    fc.assert(
      fc.property(body, fc.string({ unit: 'grapheme', maxLength: 80 }), ([content, width, eol, trailingBreak], notice) => {
        const encoded = (Buffer.from(content).toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join(eol) + (trailingBreak ? eol : '');
        const original = Buffer.from(encoded);
        const cleanNotice = notice.replace(/[\r\n]/g, ' ');
        const { bytes, sizePreserved, noticeForms } = stripSinglePart(original, 'base64', cleanNotice);
        const noticeBytes = Buffer.byteLength(cleanNotice);
        assert.equal(sizePreserved, true);
        assert.equal(bytes.length, original.length);
        assert.equal(bytes.toString('latin1').replace(/[^\r\n]/g, 'x'), encoded.replace(/[^\r\n]/g, 'x'));
        const decoded = decodeBase64(bytes).toString('utf8');
        if (content.length >= noticeBytes) assert.deepEqual(noticeForms, ['full']);
        if (noticeForms?.[0] !== 'full') return assert.match(decoded, /^(Removed by inboxguard\.|Removed\.)?[ \r\n]*$/);
        assert.ok(decoded.startsWith(cleanNotice));
        assert.match(decoded.slice(cleanNotice.length), /^[ \r\n]*$/);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps quoted-printable and 7bit sizes, with the notice whenever it fits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constantFrom('quoted-printable', '7bit', '8bit'), (length, notice, encoding) => {
        const original = Buffer.alloc(length, 0x61);
        const { bytes, sizePreserved, noticeForms } = stripSinglePart(original, encoding, notice);
        assert.equal(sizePreserved, true);
        assert.equal(bytes.length, length);
        if (length >= Buffer.byteLength(notice) * 3 + 4) assert.deepEqual(noticeForms, ['full']);
        if (encoding === 'quoted-printable' && noticeForms?.[0] === 'full') {
          const normalized = notice.replace(/\r?\n$/, '').replace(/\r?\n/g, '\r\n');
          assert.ok(decodeQuotedPrintable(bytes).toString('utf8').startsWith(normalized));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('quoted-printable round trip', () => {
  it('decode(encode(text)) gives the text back with CRLF line breaks', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        const normalized = text.replace(/\r(?!\n)/g, '').replace(/\r?\n/g, '\n');
        const decoded = decodeQuotedPrintable(Buffer.from(encodeQuotedPrintable(normalized, '\r\n'))).toString('utf8');
        assert.equal(decoded, normalized.replace(/\n/g, '\r\n'));
      }),
      { numRuns: 500 },
    );
  });
});
