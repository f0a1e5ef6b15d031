// copyBytes (the spool's copy into shared memory) copies exactly what Buffer#copy copies, clipped the
// same way, into shared and ordinary buffers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyBytes } from '../../../src/proxy/copy-bytes.js';

function randomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

describe('copyBytes', () => {
  it('matches Buffer#copy for shared and ordinary targets, every clipping case included', () => {
    let seed = 1;
    for (const shared of [true, false]) {
      for (let round = 0; round < 300; round++) {
        const source = randomBytes(1 + (round % 97) * 53, seed++);
        const targetLength = 1 + ((round * 7919) % 6000);
        // A view that starts inside its memory, as a pooled segment's subarray does.
        const make = () => (shared ? Buffer.from(new SharedArrayBuffer(targetLength + 16)) : Buffer.alloc(targetLength + 16)).subarray(7, 7 + targetLength);
        const expected = make();
        const actual = make();
        const targetStart = (round * 31) % targetLength;
        const sourceStart = round % 3 === 0 ? 0 : (round * 17) % source.length;
        const sourceEnd = round % 5 === 0 ? source.length + 10 : sourceStart + ((round * 13) % (source.length - sourceStart + 1));
        const copiedByNode = source.copy(expected, targetStart, sourceStart, Math.min(sourceEnd, source.length));
        assert.equal(copyBytes(source, actual, targetStart, sourceStart, sourceEnd), copiedByNode, `round ${round}`);
        assert.deepEqual(Buffer.from(actual.buffer), Buffer.from(expected.buffer), `round ${round}: nothing outside the view changed either`);
      }
    }
  });

  it('copies nothing, without throwing, from an empty source or into a full target', () => {
    const target = Buffer.from(new SharedArrayBuffer(4));
    assert.equal(copyBytes(Buffer.alloc(0), target, 0), 0);
    assert.equal(copyBytes(Buffer.from('abc'), target, 4), 0);
    assert.deepEqual(target, Buffer.alloc(4));
  });
});
