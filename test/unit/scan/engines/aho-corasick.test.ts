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

  it('switches to the hybrid layout past the dense state budget', () => {
    const patterns = Array.from({ length: 200 }, (_, i) => Buffer.from(`pattern-${i}-xyz`));
    assert.equal(new AhoCorasick(patterns).layout, 'dense');
    const hybrid = new AhoCorasick(patterns, { denseStateLimit: 100 });
    assert.equal(hybrid.layout, 'hybrid');
    const text = Buffer.from('..pattern-7-xyz..pattern-199-xyz..');
    assert.deepEqual(occurrences(hybrid, text, 10), naiveOccurrences(patterns, text));
  });
});
