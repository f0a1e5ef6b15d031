// findUuencodedBlocks looks for "begin" lines by searching "\nbegin" (plus "begin" at the start of the
// region) instead of every "begin" followed by a look at the byte before it. The blocks found must be
// exactly those of the former search, kept here as the reference, on texts built from the lines that
// matter (begin lines valid and not, terminators, data, "begin" inside a line), any line endings,
// and any region [from, to).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { blockAt, findUuencodedBlocks, type UuencodedBlock } from '../../../../src/mime/decode/uuencode.js';
import { LF } from '../../../../src/mime/bytes.js';

const BEGIN = Buffer.from('begin', 'latin1');

/** The search as it was: every "begin", kept when it is at `from` or after a line feed (each block read as the search reads it). */
function referenceBlocks(text: Buffer, from = 0, to: number = text.length): UuencodedBlock[] {
  const blocks: UuencodedBlock[] = [];
  const region = text.subarray(0, to);
  for (let hit = region.indexOf(BEGIN, from); hit !== -1; hit = region.indexOf(BEGIN, hit + 1)) {
    if (hit > from && text[hit - 1] !== LF) continue;
    const block = blockAt(text, hit, to);
    if (block === undefined) continue;
    blocks.push(block);
    if (block.end >= to) break;
    hit = block.end;
  }
  return blocks;
}

const piece = fc.constantFrom(
  'begin 644 a.bin',
  'begin-base64 600 b.txt',
  'begin 0644 name with spaces.exe  ',
  'begin',
  'begin 9 bad.mode',
  'beginning of a sentence',
  'xbegin 644 not.here',
  'end',
  'end ',
  '====',
  'M86)C9&5F',
  '`',
  'Zm9vYmFy',
  'lorem ipsum begin 644 inline.bin',
  '',
  'b',
  'egin 644 split.bin',
);
const text = fc
  .array(fc.tuple(piece, fc.constantFrom('\n', '\r\n', '', ' ', '\r')), { maxLength: 30 })
  .map((parts) => Buffer.from(parts.map(([line, end]) => line + end).join(''), 'latin1'));

describe('findUuencodedBlocks', () => {
  it('finds the blocks the former search found, in any region of any text', () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), (content, a, b) => {
        const from = content.length === 0 ? 0 : a % (content.length + 1);
        const to = from + (content.length - from === 0 ? 0 : b % (content.length - from + 1));
        assert.deepEqual(findUuencodedBlocks(content), referenceBlocks(content));
        assert.deepEqual(findUuencodedBlocks(content, from, to), referenceBlocks(content, from, to), `from ${from} to ${to}`);
      }),
      { numRuns: 3000 },
    );
  });

  it('finds a block at the start, after other blocks, and none inside a line', () => {
    const content = Buffer.from('begin 644 a\nM86)C\n`\nend\ntext begin 644 no\r\nbegin-base64 644 b\r\nZm9v\r\n====\r\n', 'latin1');
    const blocks = findUuencodedBlocks(content);
    assert.deepEqual(
      blocks.map((block) => [block.fileName, block.variant, block.terminated]),
      [
        ['a', 'uuencode', true],
        ['b', 'base64', true],
      ],
    );
    assert.deepEqual(blocks, referenceBlocks(content));
  });
});
