import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { longestFirst } from '../../../scripts/test-order.mjs';

describe('the order the test files start in', () => {
  it('puts the longest recorded files first, files without a record before all of them, ties in the given order', () => {
    const recorded = new Map([
      ['test/unit/a.test.ts', 2],
      ['test/unit/b.test.ts', 40.5],
      ['test/integration/c.test.ts', 2],
      ['test/integration/d.test.ts', 90],
    ]);
    const files = ['test/unit/a.test.ts', 'test/unit/b.test.ts', 'test/unit/new.test.ts', 'test/integration/c.test.ts', 'test/integration/d.test.ts', 'test/integration/other-new.test.ts'];
    assert.deepEqual(longestFirst(files, recorded), [
      'test/unit/new.test.ts',
      'test/integration/other-new.test.ts',
      'test/integration/d.test.ts',
      'test/unit/b.test.ts',
      'test/unit/a.test.ts',
      'test/integration/c.test.ts',
    ]);
  });

  it('matches recorded paths written with / against paths written with \\', () => {
    assert.deepEqual(longestFirst(['test\\unit\\a.test.ts', 'test\\unit\\b.test.ts'], new Map([['test/unit/a.test.ts', 1], ['test/unit/b.test.ts', 5]])), ['test\\unit\\b.test.ts', 'test\\unit\\a.test.ts']);
  });
});
