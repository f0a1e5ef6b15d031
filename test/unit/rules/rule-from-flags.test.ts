import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionFromFlag, conditionFromFlag, ruleFromFlags } from '../../../src/rules/rule-from-flags.js';
import { parseRules } from '../../../src/rules/index.js';

describe('rules from the flags of rules add', () => {
  it('builds a rule that parseRules accepts and normalises', () => {
    const raw = ruleFromFlags({
      name: 'Strip big executables',
      level: 'attachment',
      if: ['extension in .EXE, scr', 'size > 10MB', 'inside-archive is false'],
      action: ['delete-attachment', 'add-header=X-Removed: exe', 'tag-subject=[exe removed]', 'log'],
    });
    assert.deepEqual(raw, {
      name: 'Strip big executables',
      level: 'attachment',
      enabled: true,
      conditions: [
        { field: 'extension', op: 'in', value: ['.EXE', 'scr'] },
        { field: 'size', op: '>', value: '10MB' },
        { field: 'inside-archive', op: 'is', value: false },
      ],
      actions: ['delete-attachment', { 'add-header': { name: 'X-Removed', value: 'exe' } }, { 'tag-subject': '[exe removed]' }, 'log'],
    });
    const [rule] = parseRules([{ id: 'r-1', ...raw }], 'rules');
    assert.deepEqual(rule.conditions[0], { field: 'extension', op: 'in', value: ['exe', 'scr'], caseSensitive: false });
    assert.equal((rule.conditions[1] as { value: number }).value, 10 * 1024 * 1024);
  });

  it('reads the condition forms', () => {
    assert.deepEqual(conditionFromFlag('encrypted', 'attachment'), { field: 'encrypted' });
    assert.deepEqual(conditionFromFlag('size<100', 'attachment'), { field: 'size', op: '<', value: '100' });
    assert.deepEqual(conditionFromFlag('subject is-not  "hello world "', 'filtering'), { field: 'subject', op: 'is-not', value: 'hello world ' });
    assert.deepEqual(conditionFromFlag('header:X-Mailer contains Outlook', 'filtering'), { field: 'header', name: 'X-Mailer', op: 'contains', value: 'Outlook' });
    assert.deepEqual(conditionFromFlag('subject matches ^\\[spam\\] .*', 'filtering'), { field: 'subject', op: 'matches', value: '^\\[spam\\] .*' });
    assert.deepEqual(conditionFromFlag('from-domain in a.example,,b.example', 'filtering'), { field: 'from-domain', op: 'in', value: ['a.example', 'b.example'] });
    // A text field keeps "true" as text; unknown fields are left for parseRules to report.
    assert.deepEqual(conditionFromFlag('subject is true', 'filtering'), { field: 'subject', op: 'is', value: 'true' });
    assert.deepEqual(conditionFromFlag('nonsense is 3', 'filtering'), { field: 'nonsense', op: 'is', value: '3' });
  });

  it('rejects malformed flags with one line', () => {
    assert.throws(() => conditionFromFlag('subject resembles x', 'filtering'), /--if "subject resembles x": expected FIELD OP VALUE with OP one of is, is-not/);
    assert.throws(() => conditionFromFlag('subject contains', 'filtering'), /the value is missing after "contains"/);
    assert.throws(() => actionFromFlag('add-header=NoColon'), /expected add-header=NAME:VALUE/);
    assert.throws(() => actionFromFlag('log=1'), /only add-header=NAME:VALUE and tag-subject=TEXT take a value/);
    assert.throws(() => ruleFromFlags({ level: 'result', action: ['log'] }), /--name is required/);
    assert.throws(() => ruleFromFlags({ name: 'x', action: ['log'] }), /--level is required/);
    assert.throws(() => ruleFromFlags({ name: 'x', level: 'final', action: ['log'] }), /--level final: expected one of filtering, attachment, result/);
    assert.throws(() => ruleFromFlags({ name: 'x', level: 'result' }), /at least one --action/);
  });

  it('leaves unknown actions and --disabled to the rule', () => {
    assert.equal(actionFromFlag('explode'), 'explode');
    assert.equal(ruleFromFlags({ name: 'x', level: 'result', action: ['log'], disabled: true }).enabled, false);
    assert.throws(() => parseRules([{ id: 'r-1', ...ruleFromFlags({ name: 'x', level: 'result', action: ['explode'] }) }], 'rules'), /unknown action/);
  });
});
