// Each script indicator runs only when one of the strings it needs is in the text; that must never
// hide a match. Strings matching each expression (with \b, which the generator lacks, dropped, and
// then kept only when the real expression matches) must contain one of them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { INDICATORS, neededStringsIn, textType } from '../../../../src/scan/engines/builtin/file-type/text.js';

describe('script indicators: the strings they need', () => {
  for (const [type, indicators] of INDICATORS) {
    for (const { pattern, needs } of indicators) {
      it(`${type} ${pattern.source}: every match contains one of ${needs.join(', ')}`, () => {
        const generator = new RegExp(pattern.source.replace(/\\b/g, ''), pattern.flags);
        let checked = 0;
        fc.assert(
          fc.property(fc.stringMatching(generator), fc.string(), (match, around) => {
            const text = `${around}\n${match}\n${around}`.toLowerCase();
            if (!pattern.test(text)) return;
            checked++;
            assert.ok(
              needs.some((needed) => text.includes(needed)),
              JSON.stringify(text),
            );
          }),
          { numRuns: 300 },
        );
        assert.ok(checked > 0, 'some generated strings match the expression');
      });
    }
  }

  it('still tells scripts from prose', () => {
    const vbs = Buffer.from('Dim shell\r\nSet shell = CreateObject("WScript.Shell")\r\nshell.Run "calc"\r\n');
    const batch = Buffer.from('@echo off\r\nset target=%TEMP%\\x.exe\r\ngoto :run\r\n');
    const prose = Buffer.from('Lorem ipsum dolor sit amet: remember to set the table, then goto the end. 100% done.\n');
    assert.equal(textType(vbs), 'script-vbs');
    assert.equal(textType(batch), 'script-batch');
    assert.equal(textType(prose), 'text');
  });

  it('one pass finds exactly the needed strings the text contains (and, past latin1, never fewer)', () => {
    const needed = [...new Set(INDICATORS.flatMap(([, indicators]) => indicators.flatMap((indicator) => indicator.needs)))];
    const contained = (text: string) => needed.filter((string) => text.includes(string)).sort();
    const pieces = fc.constantFrom(...needed, ...needed.map((string) => string.slice(0, -1)), ' ', '\n', 'a', '%', ':', '-', '.', '$', '\u0165', '\u0100', '\xe9');
    const text = fc.oneof(fc.array(pieces, { maxLength: 40 }).map((list) => list.join('')), fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 100 }));
    fc.assert(
      fc.property(text, (sample) => {
        const found = [...neededStringsIn(sample)].sort();
        if (/^[\x00-\xff]*$/.test(sample)) assert.deepEqual(found, contained(sample), JSON.stringify(sample));
        else for (const string of contained(sample)) assert.ok(found.includes(string), JSON.stringify({ sample, string }));
      }),
      { numRuns: 3000 },
    );
  });
});
