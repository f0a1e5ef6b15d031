import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateLevel, parseRules } from '../../../src/rules/index.js';
import { attachment } from './facts-fixtures.js';

const rules = (...raw: Record<string, unknown>[]) =>
  parseRules(
    raw.map((entry, index) => ({ id: `r-e${index}`, name: `rule ${index}`, level: 'attachment', ...entry })),
    'rules.transport',
  );

const isPdf = { field: 'extension', op: 'is', value: 'pdf' };
const isExe = { field: 'extension', op: 'is', value: 'exe' };

describe('evaluateLevel', () => {
  it('runs rules in listed order and stops at the first match', () => {
    const set = rules({ conditions: [isExe], actions: ['delete-attachment'] }, { conditions: [isPdf], actions: ['log'] }, { conditions: [], actions: ['quarantine'] });
    const outcome = evaluateLevel(set, 'attachment', attachment());
    assert.deepEqual(
      outcome.applied.map((applied) => [applied.id, applied.actions]),
      [['r-e1', [{ type: 'log' }]]],
    );
    assert.deepEqual(outcome.trace, [
      { id: 'r-e0', name: 'rule 0', outcome: 'not-matched', reason: 'conditions[0]: extension is "exe" did not hold (found "pdf")' },
      { id: 'r-e1', name: 'rule 1', outcome: 'matched' },
      { id: 'r-e2', name: 'rule 2', outcome: 'skipped', reason: 'not reached' },
    ]);
  });

  it('evaluate-other-rules lets evaluation continue', () => {
    const set = rules({ conditions: [isPdf], actions: ['log', 'evaluate-other-rules'] }, { conditions: [], actions: ['quarantine'] }, { conditions: [], actions: ['log'] });
    const outcome = evaluateLevel(set, 'attachment', attachment());
    assert.deepEqual(
      outcome.applied.map((applied) => applied.id),
      ['r-e0', 'r-e1'],
    );
    assert.deepEqual(
      outcome.trace.map((entry) => entry.outcome),
      ['matched', 'matched', 'skipped'],
    );
  });

  it('skips disabled rules and says so', () => {
    const set = rules({ enabled: false, conditions: [isPdf], actions: ['delete-attachment'] }, { conditions: [isPdf], actions: ['log'] });
    const outcome = evaluateLevel(set, 'attachment', attachment());
    assert.deepEqual(
      outcome.applied.map((applied) => applied.id),
      ['r-e1'],
    );
    assert.deepEqual(outcome.trace[0], { id: 'r-e0', name: 'rule 0', outcome: 'skipped', reason: 'disabled' });
  });

  it('reports the first failing condition, including any and not groups', () => {
    const set = rules(
      { conditions: [isPdf, { any: [isExe, { field: 'encrypted' }] }], actions: ['log'] },
      { conditions: [{ not: isPdf }], actions: ['log'] },
    );
    const outcome = evaluateLevel(set, 'attachment', attachment());
    assert.deepEqual(outcome.trace, [
      { id: 'r-e0', name: 'rule 0', outcome: 'not-matched', reason: 'conditions[1]: none of any of (extension is "exe"; encrypted is true) held' },
      { id: 'r-e1', name: 'rule 1', outcome: 'not-matched', reason: 'conditions[0]: extension is "pdf" held, so not (extension is "pdf") did not' },
    ]);
  });

  it('ignores rules of other levels and matches a rule without conditions', () => {
    const set = [
      ...parseRules([{ id: 'r-f', name: 'filter', level: 'filtering', conditions: [], actions: ['skip-scan'] }], 'rules'),
      ...rules({ conditions: [], actions: ['log'] }),
    ];
    const outcome = evaluateLevel(set, 'attachment', attachment());
    assert.deepEqual(
      outcome.trace.map((entry) => entry.id),
      ['r-e0'],
    );
    assert.equal(outcome.applied.length, 1);
  });

  it('returns nothing for an empty rule set', () => {
    assert.deepEqual(evaluateLevel([], 'result', { verdict: 'clean', detections: [], engines: [] }), { applied: [], trace: [] });
  });
});
