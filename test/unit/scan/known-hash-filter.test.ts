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

  it('holds every size added, answers for few others; a hash added without a size makes every size possible', () => {
    const filter = KnownHashFilter.forEntries(10_000);
    assert.equal(filter.mayHoldSize(undefined), false, 'empty: no part of any size');
    const sizes = Array.from({ length: 10_000 }, (_, index) => 1000 + index * 7);
    sizes.forEach((size, index) => filter.add(sha(`sized ${index}`), size));
    const view = new KnownHashFilter(filter.buffer);
    assert.ok(sizes.every((size) => view.mayHoldSize(size)), 'no stored size is ever missed');
    assert.equal(view.mayHoldSize(undefined), true);
    filter.add(sha('past 4 GiB'), 2 ** 40 + 5);
    assert.equal(view.mayHoldSize(2 ** 40 + 5), true, 'sizes past 32 bits too');
    const others = Array.from({ length: 100_000 }, (_, index) => 200_000 + index);
    const falseHits = others.filter((size) => view.mayHoldSize(size)).length;
    // 16 bits and 2 probes per entry: about 1.4 in 100 when full.
    assert.ok(falseHits < 3000, `false hits: ${falseHits} of 100,000`);
    filter.add(sha('unsized'));
    assert.ok(others.every((size) => view.mayHoldSize(size)), 'an unsized entry: every size may be there');
  });

  it('an empty filter holds nothing', () => {
    const filter = KnownHashFilter.forEntries(0);
    assert.equal(filter.mayContain(sha('anything')), false);
    filter.add(sha('anything'));
    assert.equal(filter.mayContain(sha('anything')), true);
  });
});
