// The filler that keeps a rewrite at its exact size is written by a pattern fill; it must be byte for byte
// the layout the line-by-line definition gives (a line break, then lines of at most 76 spaces).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { padding, writePadding } from '../../../src/mime/encode/padding.js';

/** The definition, one line at a time. */
function paddingByLines(length: number, eol: '\r\n' | '\n'): Buffer {
  if (length <= 0) return Buffer.alloc(0);
  if (length <= eol.length) return Buffer.alloc(length, ' ');
  let text = eol;
  let remaining = length - eol.length;
  while (remaining > 76) {
    const width = Math.min(76, remaining - eol.length);
    text += ' '.repeat(width) + eol;
    remaining -= width + eol.length;
  }
  return Buffer.from(text + ' '.repeat(remaining), 'latin1');
}

describe('padding', () => {
  for (const eol of ['\r\n', '\n'] as const) {
    it(`matches the line-by-line layout at every length up to 1,000 and around many lines (${JSON.stringify(eol)})`, () => {
      const lengths = [...Array.from({ length: 1001 }, (_, n) => n - 1), ...Array.from({ length: 200 }, (_, n) => 78 * 1000 + n - 100)];
      for (const length of lengths) assert.deepEqual(padding(length, eol), paddingByLines(length, eol), `length ${length}`);
    });

    it(`writes in place without touching the bytes around it (${JSON.stringify(eol)})`, () => {
      for (const length of [1, 2, 3, 77, 78, 79, 80, 155, 156, 157, 5000]) {
        const into = Buffer.alloc(length + 20, 'x');
        writePadding(into, 7, length, eol);
        assert.deepEqual(into.subarray(7, 7 + length), paddingByLines(length, eol), `length ${length}`);
        assert.equal(into.subarray(0, 7).toString(), 'xxxxxxx');
        assert.equal(into.subarray(7 + length).toString(), 'x'.repeat(13));
      }
    });
  }
});
