import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkNewRule,
  findRuleIndex,
  insertionIndex,
  levelIndices,
  moveItem,
  planMove,
  positionInLevel,
  replacementRule,
  RuleEditError,
} from '../../../src/rules/rule-list-edits.js';

// Levels interleaved on purpose: only the order within a level matters.
const rules = [
  { id: 'r-a1', name: 'a1', level: 'attachment' },
  { id: 'r-r1', name: 'r1', level: 'result' },
  { id: 'r-a2', name: 'a2', level: 'attachment' },
  { id: 'r-f1', name: 'f1', level: 'filtering' },
  { id: 'r-a3', name: 'a3', level: 'attachment' },
];
const ids = (list: readonly unknown[]) => list.map((entry) => (entry as { id: string }).id);
const attachmentOrder = (list: readonly unknown[]) => ids(list).filter((id) => id.startsWith('r-a'));

describe('rule list edits', () => {
  it('finds rules by id and positions within a level', () => {
    assert.equal(findRuleIndex(rules, 'r-a2'), 2);
    assert.equal(findRuleIndex(rules, 'r-nope'), -1);
    assert.deepEqual(levelIndices(rules, 'attachment'), [0, 2, 4]);
    assert.deepEqual(levelIndices(rules, 'filtering'), [3]);
    assert.equal(positionInLevel(rules, 4), 3);
    assert.equal(positionInLevel(rules, 3), 1);
  });

  it('inserts a new rule last in its level, or at a 1-based position within it', () => {
    assert.equal(insertionIndex(rules, 'attachment'), 5);
    assert.equal(insertionIndex(rules, 'attachment', 1), 0);
    assert.equal(insertionIndex(rules, 'attachment', 3), 4);
    assert.equal(insertionIndex(rules, 'attachment', 4), 5);
    assert.equal(insertionIndex([], 'result', 1), 0);
    assert.throws(() => insertionIndex(rules, 'result', 3), (error: Error) => error instanceof RuleEditError && /level result has 1 rule, so a new rule can go at 1 to 2/.test(error.message));
    assert.throws(() => insertionIndex(rules, 'result', 0), RuleEditError);
  });

  it('moves up, down and to a position without touching the other levels', () => {
    const apply = (id: string, target: Parameters<typeof planMove>[2]) => {
      const move = planMove(rules, findRuleIndex(rules, id), target);
      return moveItem(rules, move.from, move.to);
    };
    assert.deepEqual(attachmentOrder(apply('r-a2', { up: true })), ['r-a2', 'r-a1', 'r-a3']);
    assert.deepEqual(attachmentOrder(apply('r-a2', { down: true })), ['r-a1', 'r-a3', 'r-a2']);
    assert.deepEqual(attachmentOrder(apply('r-a1', { to: 3 })), ['r-a2', 'r-a3', 'r-a1']);
    assert.deepEqual(attachmentOrder(apply('r-a3', { to: 1 })), ['r-a3', 'r-a1', 'r-a2']);
    assert.deepEqual(attachmentOrder(apply('r-a1', { to: 2 })), ['r-a2', 'r-a1', 'r-a3']);
    for (const id of ['r-a1', 'r-a3']) {
      const moved = apply(id, { to: 2 });
      assert.deepEqual(
        ids(moved).filter((other) => !other.startsWith('r-a')),
        ['r-r1', 'r-f1'],
      );
    }
    const same = planMove(rules, 2, { to: 2 });
    assert.equal(same.fromPosition, same.toPosition);
    assert.deepEqual(moveItem(rules, same.from, same.to), rules);
  });

  it('refuses moves that would leave the level', () => {
    const refused = (index: number, target: Parameters<typeof planMove>[2], pattern: RegExp) =>
      assert.throws(() => planMove(rules, index, target), (error: Error) => error instanceof RuleEditError && pattern.test(error.message) && !error.message.includes('\n'));
    refused(0, { up: true }, /r-a1 is already first in level attachment; rules only move within their level/);
    refused(4, { down: true }, /r-a3 is already last in level attachment/);
    refused(0, { to: 4 }, /--to 4: level attachment has 3 rules \(positions 1 to 3\)/);
    refused(0, { to: 0 }, /--to 0/);
    refused(3, { down: true }, /r-f1 is already last in level filtering/);
  });

  it('moveItem leaves its input alone', () => {
    const items = ['a', 'b', 'c'];
    assert.deepEqual(moveItem(items, 0, 2), ['b', 'c', 'a']);
    assert.deepEqual(items, ['a', 'b', 'c']);
  });

  it('an edited rule keeps its id, and its level and enabled flag unless the file gives them', () => {
    const current = { id: 'r-x', name: 'old', level: 'attachment', enabled: false, conditions: [], actions: ['log'] };
    assert.deepEqual(replacementRule(current, { name: 'new', actions: ['delete-attachment'] }, 'f.yaml'), {
      id: 'r-x',
      name: 'new',
      level: 'attachment',
      enabled: false,
      actions: ['delete-attachment'],
    });
    assert.deepEqual(replacementRule(current, { id: 'r-x', name: 'new', level: 'attachment', enabled: true, actions: ['log'] }, 'f.yaml'), {
      id: 'r-x',
      name: 'new',
      level: 'attachment',
      enabled: true,
      actions: ['log'],
    });
    assert.throws(() => replacementRule(current, { id: 'r-y', name: 'n', actions: ['log'] }, 'f.yaml'), /f\.yaml: id "r-y" differs from the rule being edited \(r-x\)/);
    assert.throws(() => replacementRule(current, { name: 'n', level: 'result', actions: ['log'] }, 'f.yaml'), /changing the level of r-x \(attachment → result\) is not supported; remove the rule and add it again/);
    assert.throws(() => replacementRule(current, ['a'], 'f.yaml'), /expected one rule/);
  });

  it('a new rule from a file may set its own id only if it is unused', () => {
    assert.deepEqual(checkNewRule(rules, { id: 'r-new', name: 'n' }, 'f.yaml'), { id: 'r-new', name: 'n' });
    assert.deepEqual(checkNewRule(rules, { name: 'n' }, 'f.yaml'), { name: 'n' });
    assert.throws(() => checkNewRule(rules, { id: 'r-a2', name: 'n' }, 'f.yaml'), /f\.yaml: id r-a2 is already used by another rule \("a2"\); leave the id out/);
    assert.throws(() => checkNewRule(rules, 'text', 'f.yaml'), /expected one rule/);
  });
});
