import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureIds, generateRuleId, parseRules } from '../../../src/rules/index.js';

describe('rule ids', () => {
  it('generates r- plus 8 hex characters', () => {
    assert.match(generateRuleId(), /^r-[0-9a-f]{8}$/);
    assert.notEqual(generateRuleId(), generateRuleId());
  });

  it('adds ids only where missing and keeps them on later calls, reorders and edits', () => {
    const raw = [
      { name: 'a', level: 'result', actions: ['log'] },
      { id: 'r-keep', name: 'b', level: 'result', actions: ['log'] },
    ];
    const first = ensureIds(raw);
    assert.equal(first.added.length, 1);
    const [generated] = first.added;
    assert.deepEqual(first.rules[0], { id: generated, ...raw[0] });
    assert.deepEqual(first.rules[1], raw[1]);
    assert.equal('id' in raw[0], false, 'input untouched');

    const reordered = [{ ...(first.rules[1] as object), name: 'b renamed' }, first.rules[0]];
    const second = ensureIds(reordered);
    assert.deepEqual(second.added, []);
    assert.deepEqual(
      parseRules(second.rules, 'rules').map((rule) => rule.id),
      ['r-keep', generated],
    );
  });

  it('never hands out an id already used in the set', () => {
    const ids = ['r-taken', 'r-taken', 'r-fresh'];
    const { rules, added } = ensureIds([{ id: 'r-taken' }, { name: 'new' }], () => ids.shift() ?? 'r-end');
    assert.deepEqual(added, ['r-fresh']);
    assert.deepEqual(rules[1], { id: 'r-fresh', name: 'new' });
  });

  it('leaves entries that are not mappings for parseRules to report', () => {
    assert.deepEqual(ensureIds(['x', 3]).rules, ['x', 3]);
  });
});
