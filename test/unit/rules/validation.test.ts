import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRules, RuleError } from '../../../src/rules/index.js';

function problem(raw: Record<string, unknown>, index = 0): string {
  const list = Array.from({ length: index }, (_, n) => ({ id: `r-ok${n}`, name: 'fine', level: 'result', actions: ['log'] }));
  list.push({ id: 'r-bad', name: 'Strip executables', level: 'attachment', actions: ['log'], ...raw } as (typeof list)[number]);
  try {
    parseRules(list, 'rules.transport');
  } catch (error) {
    assert.ok(error instanceof RuleError, String(error));
    assert.equal(error.message.includes('\n'), false, 'one line');
    return error.message;
  }
  assert.fail('expected a RuleError');
}

describe('parseRules validation', () => {
  it('accepts the YAML form from the issue and normalises it', () => {
    const [rule] = parseRules(
      [
        {
          id: 'r-3f9a1c2e',
          name: 'Strip executables',
          level: 'attachment',
          enabled: true,
          conditions: [
            { field: 'detected-type', op: 'in', value: ['pe', 'elf'] },
            { any: [{ field: 'file-name', op: 'glob', value: '*.exe' }, { not: { field: 'size', op: '<', value: '1KB' } }] },
          ],
          actions: ['delete-attachment', { 'add-header': { name: 'X-Foo', value: 'bar' } }, { 'tag-subject': '[removed]' }, 'log'],
        },
      ],
      'rules.transport',
    );
    assert.deepEqual(rule.conditions[1], {
      any: [
        { field: 'file-name', op: 'glob', value: '*.exe', caseSensitive: false },
        { not: { field: 'size', op: '<', value: 1024, caseSensitive: false } },
      ],
    });
    assert.deepEqual(rule.actions, [
      { type: 'delete-attachment' },
      { type: 'add-header', name: 'X-Foo', value: 'bar' },
      { type: 'tag-subject', text: '[removed]' },
      { type: 'log' },
    ]);
  });

  it('enabled defaults to true and conditions to none', () => {
    const [rule] = parseRules([{ id: 'r-a', name: 'a', level: 'result', actions: ['log'] }], 'r');
    assert.equal(rule.enabled, true);
    assert.deepEqual(rule.conditions, []);
  });

  it('unknown field', () => {
    assert.equal(
      problem({ conditions: [{ field: 'detected-type', op: 'is', value: 'pe' }, { field: 'frm', op: 'is', value: 'x' }] }, 2),
      'rules.transport[2] "Strip executables": conditions[1].field: unknown field "frm" at level attachment (known: file-name, extension, declared-type, detected-type, size, inside-archive, encrypted, has-macros, double-extension, bidi-name, part-verdict, detection)',
    );
    assert.match(problem({ conditions: [{ field: 'subject', op: 'is', value: 'x' }] }), /conditions\[0\]\.field: unknown field "subject" at level attachment \(a filtering-level field\)$/);
  });

  it('unknown key in a rule or condition', () => {
    assert.equal(problem({ colour: 'red' }), 'rules.transport[0] "Strip executables": unknown key "colour"');
    assert.equal(problem({ conditions: [{ field: 'size', op: '>', value: 1, vaule: 2 }] }), 'rules.transport[0] "Strip executables": conditions[0]: unknown key "vaule"');
  });

  it('bad regular expression, also inside any and not', () => {
    assert.match(problem({ conditions: [{ field: 'file-name', op: 'matches', value: '(' }] }), /^rules\.transport\[0\] "Strip executables": conditions\[0\]\.value: bad regular expression "\(" \(RE2 syntax, no backreferences or lookaround\): error parsing regexp: missing closing \)/);
    assert.match(
      problem({ conditions: [{ any: [{ field: 'extension', op: 'is', value: 'x' }, { not: { field: 'file-name', op: 'matches', value: '[a' } }] }] }),
      /conditions\[0\]\.any\[1\]\.not\.value: bad regular expression/,
    );
  });

  it('rejects backreferences and lookaround, which a linear-time engine cannot run', () => {
    for (const pattern of ['(a)\\1', 'x(?=y)', 'x(?!y)', '(?<=y)x', '(?<!y)x']) {
      assert.match(
        problem({ conditions: [{ field: 'file-name', op: 'matches', value: pattern }] }),
        /conditions\[0\]\.value: bad regular expression .* \(RE2 syntax, no backreferences or lookaround\): error parsing regexp: /,
        pattern,
      );
    }
  });

  it('bad CIDR and bad IP', () => {
    const filtering = (value: unknown, op = 'is') => problem({ level: 'filtering', conditions: [{ field: 'upstream-ip', op, value }] });
    assert.equal(filtering('10.0.0.0/33'), 'rules.transport[0] "Strip executables": conditions[0].value: bad IP address or CIDR block "10.0.0.0/33"');
    assert.match(filtering('mail.example.org'), /bad IP address or CIDR block "mail.example.org"/);
    assert.match(filtering(['10.0.0.0/8', '2001:db8::/129'], 'in'), /conditions\[0\]\.value\[1\]: bad IP address or CIDR block "2001:db8::\/129"/);
  });

  it('action not allowed at the level', () => {
    assert.equal(
      problem({ actions: ['log', 'skip-scan'] }),
      'rules.transport[0] "Strip executables": actions[1]: skip-scan is not allowed at level attachment (only filtering)',
    );
    assert.match(problem({ level: 'result', actions: ['delete-attachment'] }), /actions\[0\]: delete-attachment is not allowed at level result \(only attachment\)$/);
    assert.match(problem({ level: 'filtering', actions: ['skip-part-scan'] }), /actions\[0\]: skip-part-scan is not allowed at level filtering/);
  });

  it('unknown and malformed actions', () => {
    assert.match(problem({ actions: ['explode'] }), /actions\[0\]: unknown action \(known: log, skip-scan/);
    assert.match(problem({ actions: [{ 'add-header': { name: 'Bad Name', value: 'x' } }] }), /actions\[0\]\.add-header\.name: not a valid header name$/);
    assert.match(problem({ actions: [{ 'tag-subject': 'a\r\nBcc: x' }] }), /actions\[0\]\.tag-subject: the subject tag must be on one line$/);
    assert.match(problem({ actions: [] }), /actions: a rule needs at least one action$/);
    assert.match(problem({ actions: ['log', 'log'] }), /actions\[1\]: log is listed twice$/);
  });

  it('operator, value and level problems', () => {
    assert.match(problem({ conditions: [{ field: 'size', op: 'matches', value: 'x' }] }), /conditions\[0\]\.op: "matches" does not apply to size \(use is, is-not, >, <\)$/);
    assert.match(problem({ conditions: [{ field: 'size', op: '>', value: '10 parsecs' }] }), /conditions\[0\]\.value: expected a size such as 1048576 or "10MB", got "10 parsecs"$/);
    assert.match(problem({ conditions: [{ field: 'detected-type', op: 'in', value: ['pe', 'exe'] }] }), /conditions\[0\]\.value\[1\]: "exe" is not one of pe, elf/);
    assert.match(problem({ conditions: [{ field: 'detected-type', op: 'in', value: 'pe' }] }), /in takes a non-empty list/);
    assert.match(problem({ conditions: [{ field: 'extension', op: 'is' }] }), /conditions\[0\]\.value: missing$/);
    assert.match(problem({ conditions: [{ field: 'extension', value: 'exe' }] }), /conditions\[0\]\.op: missing/);
    assert.match(problem({ conditions: [{ field: 'extension', op: 'like', value: 'exe' }] }), /conditions\[0\]\.op: Invalid option/);
    assert.match(problem({ conditions: [{ field: 'encrypted', op: 'is', value: 'yes' }] }), /conditions\[0\]\.value: expected true or false$/);
    assert.match(problem({ level: 'filtering', conditions: [{ field: 'header', op: 'is', value: 'x' }] }), /conditions\[0\]\.name: the header field needs the header name/);
    assert.match(problem({ conditions: [{ field: 'extension', name: 'x', op: 'is', value: 'x' }] }), /conditions\[0\]\.name: only the header field takes a name/);
    assert.match(problem({ level: 'everywhere' }), /^rules\.transport\[0\] "Strip executables": level: expected one of filtering, attachment, result$/);
    assert.match(problem({ conditions: [{ any: [] }] }), /conditions\[0\]\.any: an any: group needs at least one condition$/);
    assert.match(problem({ conditions: ['size > 3'] }), /conditions\[0\]: expected a condition/);
    assert.match(problem({ conditions: [{ field: 'file-name', op: 'glob', value: '[z-a]' }] }), /conditions\[0\]\.value: bad glob pattern "\[z-a\]"$/);
  });

  it('ids: missing, malformed and duplicate', () => {
    assert.match(problem({ id: undefined }), /^rules\.transport\[0\] "Strip executables": id: missing/);
    assert.match(problem({ id: 'Rule 1' }), /id: expected "r-" followed by/);
    assert.throws(
      () => parseRules([{ id: 'r-x', name: 'a', level: 'result', actions: ['log'] }, { id: 'r-x', name: 'b', level: 'result', actions: ['log'] }], 'rules.mailboxScan'),
      { message: 'rules.mailboxScan[1] "b": id: "r-x" is already used by rules.mailboxScan[0]' },
    );
  });

  it('names the list and position when the entry is not a rule', () => {
    assert.throws(() => parseRules('nope', 'rules.transport'), { message: 'rules.transport: expected a list of rules' });
    assert.throws(() => parseRules([42], 'rules.transport'), /^RuleError: rules\.transport\[0\]: Invalid input: expected object/);
  });
});
