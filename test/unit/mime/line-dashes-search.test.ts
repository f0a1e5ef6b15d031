import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { indexOfLineDashes } from '../../../src/mime/delimiter.js';

const LF_DASH_DASH = Buffer.from('\n--', 'latin1');

describe('indexOfLineDashes', () => {
  it('finds the first "\\n--" from any position, as a search for "\\n--" itself does', () => {
    const text = fc.array(fc.constantFrom('\n', '-', '\r', 'a', '--', '\n--', '\r\n'), { maxLength: 60 }).map((pieces) => Buffer.from(pieces.join(''), 'latin1'));
    fc.assert(
      fc.property(text, fc.nat({ max: 70 }), (bytes, from) => {
        assert.equal(indexOfLineDashes(bytes, from), bytes.indexOf(LF_DASH_DASH, from), JSON.stringify([bytes.toString('latin1'), from]));
      }),
      { numRuns: 5000 },
    );
  });

  it('edge cases: at the start, at the end, dashes inside lines, a line break right before the search start', () => {
    const cases: Array<[string, number, number]> = [
      ['\n--', 0, 0],
      ['\n--', 1, -1],
      ['\n-', 0, -1],
      ['--\n--', 0, 2],
      ['a--b--\n-x\n--', 0, 9],
      ['----\n----', 0, 4],
      ['----\n----', 5, -1],
      ['x\n--', 1, 1],
      ['x\n--', 2, -1],
    ];
    for (const [text, from, expected] of cases) assert.equal(indexOfLineDashes(Buffer.from(text, 'latin1'), from), expected, JSON.stringify([text, from]));
  });
});
