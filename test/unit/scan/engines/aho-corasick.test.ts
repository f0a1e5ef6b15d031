import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AhoCorasick } from '../../../../src/scan/engines/builtin/body/aho-corasick.js';
import { naiveOccurrences } from './reference-matchers.js';

function occurrences(automaton: AhoCorasick, data: Uint8Array, cut: number): string[] {
  const found: string[] = [];
  const record = (id: number, end: number): void => {
    found.push(`${id}@${end}`);
  };
  const split = Math.min(cut, data.length);
  const state = automaton.scan(data, 0, split, 0, record);
  automaton.scan(data, split, data.length, state, record);
  return found.sort();
}

const smallAlphabet = fc.constantFrom(0x61, 0x62, 0x63, 0x00, 0xff);
const pattern = fc.uint8Array({ minLength: 1, maxLength: 6 }).chain(() => fc.array(smallAlphabet, { minLength: 1, maxLength: 6 }).map((b) => Uint8Array.from(b)));
const data = fc.array(smallAlphabet, { maxLength: 200 }).map((b) => Uint8Array.from(b));

describe('AhoCorasick', () => {
  it('finds overlapping, nested and repeated patterns', () => {
    const patterns = ['he', 'she', 'his', 'hers', 'e'].map((p) => Buffer.from(p));
    const automaton = new AhoCorasick(patterns);
    assert.deepEqual(occurrences(automaton, Buffer.from('ushers'), 3), naiveOccurrences(patterns, Buffer.from('ushers')));
    assert.deepEqual(occurrences(automaton, Buffer.from('ushers'), 3), ['0@4', '1@4', '3@6', '4@4']);
  });

  it('reports duplicate patterns under each id', () => {
    const automaton = new AhoCorasick([Buffer.from('ab'), Buffer.from('ab')]);
    assert.deepEqual(occurrences(automaton, Buffer.from('xabx'), 2), ['0@3', '1@3']);
  });

  for (const layout of ['dense', 'hybrid'] as const) {
    it(`agrees with a naive matcher (${layout} layout, any split point)`, () => {
      fc.assert(
        fc.property(fc.array(pattern, { minLength: 1, maxLength: 12 }), data, fc.nat({ max: 200 }), (patterns, content, cut) => {
          const automaton = new AhoCorasick(patterns, { denseStateLimit: layout === 'dense' ? 1 << 20 : 0 });
          assert.equal(automaton.layout, layout);
          assert.deepEqual(occurrences(automaton, content, cut), naiveOccurrences(patterns, content));
        }),
        { numRuns: 1500 },
      );
    });
  }

  // Patterns of 4 bytes and more turn on the sampled skip (one probe every few bytes); random data in a
  // small alphabet makes probes hit, miss and straddle the slice boundaries.
  const longPattern = fc.array(smallAlphabet, { minLength: 4, maxLength: 12 }).map((b) => Uint8Array.from(b));
  const longData = fc.array(smallAlphabet, { maxLength: 600 }).map((b) => Uint8Array.from(b));
  for (const layout of ['dense', 'hybrid'] as const) {
    it(`agrees with a naive matcher with the sampled skip (${layout} layout, any split point)`, () => {
      fc.assert(
        fc.property(fc.array(longPattern, { minLength: 1, maxLength: 12 }), longData, fc.nat({ max: 600 }), (patterns, content, cut) => {
          const automaton = new AhoCorasick(patterns, { denseStateLimit: layout === 'dense' ? 1 << 20 : 0 });
          assert.deepEqual(occurrences(automaton, content, cut), naiveOccurrences(patterns, content));
        }),
        { numRuns: 1500 },
      );
    });
  }

  it('the sampled skip finds patterns planted in random bytes, in slices of any size', () => {
    const random = fc.sample(fc.uint8Array({ minLength: 5, maxLength: 9 }), { numRuns: 300, seed: 11 });
    const patterns = random.map((pattern) => Buffer.from(pattern));
    const automaton = new AhoCorasick(patterns);
    const data = Buffer.from(fc.sample(fc.uint8Array({ minLength: 100_000, maxLength: 100_000 }), { numRuns: 1, seed: 12 })[0]);
    for (let i = 0; i < 40; i++) patterns[i * 7].forEach((byte, at) => (data[1000 + i * 2399 + at] = byte));
    const expected = naiveOccurrences(patterns, data);
    assert.ok(expected.length >= 40);
    for (const slice of [1, 2, 3, 7, 64, 4096, data.length]) {
      const found: string[] = [];
      let state = 0;
      for (let start = 0; start < data.length; start += slice) state = automaton.scan(data, start, Math.min(data.length, start + slice), state, (id, end) => found.push(`${id}@${end}`));
      assert.deepEqual(found.sort(), expected, `slices of ${slice}`);
    }
  });

  it('switches to the hybrid layout past the dense state budget', () => {
    const patterns = Array.from({ length: 200 }, (_, i) => Buffer.from(`pattern-${i}-xyz`));
    assert.equal(new AhoCorasick(patterns).layout, 'dense');
    const hybrid = new AhoCorasick(patterns, { denseStateLimit: 100 });
    assert.equal(hybrid.layout, 'hybrid');
    const text = Buffer.from('..pattern-7-xyz..pattern-199-xyz..');
    assert.deepEqual(occurrences(hybrid, text, 10), naiveOccurrences(patterns, text));
  });
});
