// The filter of the verdict store's SHA-256s that lets a scan worker answer "no verdict" itself: it
// never misses a hash it was given, and its false hits stay rare (each costs one lookup).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { KnownHashFilter } from '../../../src/scan/analysis/known-hash-filter.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('KnownHashFilter', () => {
  it('holds every hash added, answers for few others, and reads the same through a second view of its memory', () => {
    const filter = KnownHashFilter.forEntries(10_000);
    const stored = Array.from({ length: 10_000 }, (_, index) => sha(`stored ${index}`));
    for (const hash of stored) filter.add(hash);
    const view = new KnownHashFilter(filter.buffer);
    assert.ok(stored.every((hash) => filter.mayContain(hash) && view.mayContain(hash)), 'no stored hash is ever missed');
    const others = Array.from({ length: 100_000 }, (_, index) => sha(`other ${index}`));
    const falseHits = others.filter((hash) => view.mayContain(hash)).length;
    // 16 bits and 8 probes per entry: about 6 in 10,000 when full.
    assert.ok(falseHits < 200, `false hits: ${falseHits} of 100,000`);
  });

  it('an empty filter holds nothing', () => {
    const filter = KnownHashFilter.forEntries(0);
    assert.equal(filter.mayContain(sha('anything')), false);
    filter.add(sha('anything'));
    assert.equal(filter.mayContain(sha('anything')), true);
  });
});
