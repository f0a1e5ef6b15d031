// Globs and user regexes run on names and headers chosen by whoever sends the mail: the work they do
// is bounded by the input, counted in steps (never timed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileGlob, compileUserRegex, evaluateLevel, MAX_NAME_CHARS, MAX_TEXT_FACT_CHARS } from '../../../src/rules/index.js';
import { boundFact } from '../../../src/rules/fact-bounds.js';
import { attachment, filtering, rule } from './facts-fixtures.js';

describe('glob matching on hostile names', () => {
  it('*a*a*a*b against 400 a: no match, within (name + 1) × (pattern + 1) steps', () => {
    const pattern = '*a*a*a*b';
    const name = 'a'.repeat(400);
    const { matched, steps } = compileGlob(pattern).run(name);
    assert.equal(matched, false);
    assert.ok(steps <= (name.length + 1) * (pattern.length + 1), `${steps} steps`);
  });

  it('the step count grows linearly with the name for a fixed pattern', () => {
    const glob = compileGlob('*a*a*a*a*a*a*b');
    const at = (length: number) => glob.run('a'.repeat(length)).steps;
    // A backtracking matcher grows polynomially in the number of stars (n^6 here); this one by a constant per character.
    assert.ok(at(4000) <= 10 * at(400) + 100, `${at(400)} steps for 400, ${at(4000)} for 4000`);
  });

  it('still finds the match that needs the last star to backtrack', () => {
    assert.deepEqual(compileGlob('*a*a*a*b').test(`${'a'.repeat(400)}b`), true);
    assert.equal(compileGlob('*.exe').test(`${'x.exe'.repeat(100)}.pdf`), false);
    assert.equal(compileGlob('*.exe*.exe').test(`a.exe${'y'.repeat(300)}.EXE`), true);
  });
});

/** The former RegExp translation of a glob (backtracking), kept only as a reference on short inputs. */
function referenceGlob(glob: string, caseSensitive: boolean): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index];
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const close = glob.indexOf(']', index + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = glob.slice(index + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      index = close;
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, caseSensitive ? 's' : 'is');
}

describe('glob matching agrees with the former RegExp form', () => {
  it('on random globs and names over a small alphabet', () => {
    const globChar = fc.constantFrom('a', 'B', 'b', '.', '*', '?', '[', ']', '!', '^', '-', '\\', '+', '(', '\n');
    const nameChar = fc.constantFrom('a', 'A', 'b', 'B', '.', '[', ']', '!', '-', '\\', '+', '(', '\n');
    fc.assert(
      fc.property(fc.array(globChar, { maxLength: 8 }), fc.array(nameChar, { maxLength: 10 }), fc.boolean(), (globChars, nameChars, caseSensitive) => {
        const glob = globChars.join('');
        const name = nameChars.join('');
        let reference: RegExp;
        try {
          reference = referenceGlob(glob, caseSensitive);
        } catch {
          assert.throws(() => compileGlob(glob, caseSensitive), SyntaxError, glob);
          return;
        }
        assert.equal(compileGlob(glob, caseSensitive).test(name), reference.test(name), `${JSON.stringify(glob)} on ${JSON.stringify(name)}`);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('user regexes on hostile text', () => {
  it('nested quantifiers that make a backtracking engine exponential answer correctly on RE2', () => {
    const text = `${'a'.repeat(4000)}!`;
    assert.equal(compileUserRegex('^(a+)+$', false).test(text), false);
    assert.equal(compileUserRegex('^(a|a)*$', false).test(text), false);
    assert.equal(compileUserRegex('(a*)*b', false).test(text), false);
    assert.equal(compileUserRegex('^(a+)+!$', false).test(text), true);
  });

  it('agrees with JavaScript RegExp on the syntax rules use (classes, escapes, anchors, groups, counts)', () => {
    const patterns = ['^invoice', 'pdf$', '\\d{4}', '^\\w+@example\\.(org|com)$', '\\bfree\\b', '[^a-z0-9]', '(?:re|fwd?):\\s*', 'a.c', 'x{2,3}y', '^$', '\\.exe$', '[A-F]{2}-\\d+'];
    const inputs = ['Invoice 2026', 'report.PDF', 'alice@example.org', 'bob@example.net', 'get it FREE now', 'freedom', 'Re: hello', 'FWD:x', 'abc', 'a\nc', 'xxxy', 'xy', '', 'setup.EXE', 'ab-12', 'AB-12'];
    for (const pattern of patterns) {
      for (const caseSensitive of [false, true]) {
        const expected = new RegExp(pattern, caseSensitive ? '' : 'i');
        for (const input of inputs) assert.equal(compileUserRegex(pattern, caseSensitive).test(input), expected.test(input), `/${pattern}/ on ${JSON.stringify(input)}`);
      }
    }
  });

  it('is not a JavaScript RegExp', () => {
    assert.ok(!(compileUserRegex('a', false) instanceof RegExp));
  });

  it('keeps the case-insensitive default and the case-sensitive option', () => {
    assert.equal(compileUserRegex('^invoice \\d{4}$', false).test('INVOICE 2026'), true);
    assert.equal(compileUserRegex('^invoice \\d{4}$', true).test('INVOICE 2026'), false);
    assert.equal(compileUserRegex('ali.e', false).test('x ALICE y'), true, 'finds the pattern anywhere, like RegExp.test');
  });
});

describe('how much of a fact a condition sees', () => {
  it('a long name keeps its beginning and its end, bounded to MAX_NAME_CHARS', () => {
    const name = `invoice${'x'.repeat(100_000)}.exe`;
    const seen = boundFact(name, MAX_NAME_CHARS);
    assert.equal(seen.length, MAX_NAME_CHARS);
    assert.ok(seen.startsWith('invoice') && seen.endsWith('.exe'));
    assert.equal(boundFact('short.pdf', MAX_NAME_CHARS), 'short.pdf');
  });

  it('padding the middle of a name does not hide its extension from a glob rule', () => {
    const fileName = `report${'\u200b'.repeat(50_000)}.pdf.exe`;
    const outcome = evaluateLevel([rule({ level: 'attachment', conditions: [{ field: 'file-name', op: 'glob', value: 'report*.exe' }] })], 'attachment', attachment({ fileName }));
    assert.equal(outcome.applied.length, 1);
  });

  it('header values are bounded to MAX_TEXT_FACT_CHARS before a regex sees them', () => {
    const value = `${'a'.repeat(MAX_TEXT_FACT_CHARS)}MIDDLE${'a'.repeat(MAX_TEXT_FACT_CHARS)}`;
    const condition = { field: 'header', name: 'X-Long', op: 'matches', value: 'MIDDLE' };
    const outcome = evaluateLevel([rule({ level: 'filtering', conditions: [condition] })], 'filtering', filtering({ headers: [{ name: 'x-long', value }] }));
    assert.equal(outcome.applied.length, 0, 'the middle of an over-long value is not seen');
    const short = evaluateLevel([rule({ level: 'filtering', conditions: [condition] })], 'filtering', filtering({ headers: [{ name: 'x-long', value: 'aMIDDLEa' }] }));
    assert.equal(short.applied.length, 1);
  });
});
