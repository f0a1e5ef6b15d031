// Script indicators are tried only where the strings they need stand (indicator-search.ts). Each one
// must say exactly what its expression says when searched over the whole text: on generated texts
// built from the needed strings, script fragments and every kind of white space and line break, on
// the parts of the scan corpus and the mixed mailbox, and on whole scripts and prose.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HTML_START, INDICATORS, indicatorHits, textType } from '../../../../src/scan/engines/builtin/file-type/text.js';
import { afterLineLead } from '../../../../src/scan/engines/builtin/file-type/indicator-search.js';
import { walkMessage } from '../../../../src/mime/index.js';
import { scanCorpus } from '../../../helpers/scan-corpus.js';
import { loremLines, mixedMailbox } from '../../../helpers/messages.js';

/** What each indicator's expression says about the whole text, searched from every position. */
function searchedHits(text: string): boolean[][] {
  return INDICATORS.map(([, indicators]) => indicators.map(({ pattern }) => pattern.test(text)));
}

function assertSameHits(text: string): void {
  assert.deepEqual(indicatorHits(text), searchedHits(text), JSON.stringify(text.slice(0, 400)));
}

const NEEDED = [...new Set(INDICATORS.flatMap(([, indicators]) => indicators.flatMap((indicator) => indicator.needs)))];
const FRAGMENTS = [
  'off', ' sub', ' function', 'x = y', 'x=1', 'v', ' /f', ' /c', ' exist', '.exe', ' ""', ':run', '(', ')', '{', '}', '"', '&', '=',
  '%temp%', '%~dp0', ' 65) &', 'host', 'shell', ' net.webclient', ' abcdefgh1234', 'global', ' error', ' next', '-item', ' x', '$', '_',
];
const SPACES = [' ', '  ', '\t', '\n', '\r\n', '\r', '\v', '\f', '\u00a0', '\u2028', '\u2029', '\u3000', '\ufeff', '@', '@ ', 'a', '.', ':', '\u0165', '\u0160'];

describe('script indicators tried where their strings stand', () => {
  it('say what their expressions say on generated texts', () => {
    const piece = fc.constantFrom(...NEEDED, ...FRAGMENTS, ...SPACES);
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => assertSameHits(pieces.join(''))),
      { numRuns: 4000 },
    );
  });

  it('say what their expressions say on texts shaped like each construct, near misses included', () => {
    const one = (...options: string[]) => fc.constantFrom(...options);
    const spaces = one('', ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u2028', '\v');
    const before = one('', 'x', '$', '_', '1', ' ', '\n', '@', '\n@', ' \n ', ';', 'a ');
    const definition = fc
      .tuple(before, spaces, one('', 'a', '$a', 'a$', 'function', '1', 'a b'), spaces, one('(', ''), one('', 'a', 'a, b', '(', 'function (', ' '), one(')', ''), spaces, one('{', '', 'x{', ')'))
      .map(([lead, gap, name, gap2, open, params, close, gap3, brace]) => `${lead}function${gap}${name}${gap2}${open}${params}${close}${gap3}${brace}`);
    const word = one('', 'a', 'ab', 'a_1', '/', '/a', '1', '=');
    const statement = fc
      .tuple(before, spaces, one('set', 'dim', 'end', 'goto', 'if', 'echo', 'rem', '::', 'del', 'cmd', 'start', 'var', 'let', 'const', 'chr', 'eval', 'execute', '%'), spaces, word, spaces, word, one('', '=', '= x', ' =x', 'off', 'sub', 'exist', '/f', '/c', '(', '""', '%', '(65) &'))
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.array(fc.oneof(definition, statement), { minLength: 1, maxLength: 4 }), (pieces) => assertSameHits(pieces.join(''))),
      { numRuns: 20000 },
    );
  });

  it('say what their expressions say on whole scripts, prose, and every part of the test corpora', () => {
    const texts = [
      'Dim shell\r\nSet shell = CreateObject("WScript.Shell")\r\nshell.Run "calc"\r\nEnd Sub\r\n',
      '@echo off\r\n  rem x\r\nset target=%TEMP%\\x.exe\r\nif exist x del /f x\r\n:: note\r\ngoto :run\r\n',
      ' \u2028  @echo off\n\u00a0set a=b\n',
      'echo off\n',
      'x\n\t@echo off',
      'x@echo off',
      // Past MAX_TRIES tries: one search of the whole text.
      '%a% x'.repeat(400),
      ' :: rem\n'.repeat(400),
      'x%'.repeat(300) + '\n%~dp0',
      'function add(a, b) {\n  const sum = a + b;\n  return sum;\n}\nvar total = add(1, 2);\n[1].map((x) => { return x; });\neval(code)\n',
      '$env:temp; Invoke-Expression (New-Object Net.WebClient).DownloadString("x"); Start-Process a; Write-Host b\n',
      'Lorem ipsum dolor sit amet: remember to set the table, then goto the end. 100% done.\n',
      loremLines(400, 9, 76).join('\r\n'),
    ];
    for (const message of [...scanCorpus().map((entry) => entry.bytes), ...mixedMailbox(24)]) {
      for (const part of walkMessage(message).parts) texts.push(part.decode().toString('latin1'));
    }
    for (const text of texts) assertSameHits(text.toLowerCase());
  });

  it('a line lead is white space back to a line start (or the text start), line breaks included', () => {
    assert.equal(afterLineLead('rem', 0), true);
    assert.equal(afterLineLead('  \t rem', 4), true);
    assert.equal(afterLineLead('x\n  rem', 4), true);
    assert.equal(afterLineLead('x\u2028rem', 2), true);
    assert.equal(afterLineLead('x \u00a0rem', 3), false);
    assert.equal(afterLineLead('lorem', 2), false);
  });

  it('a text type decided by script content is unchanged for prose full of script words', () => {
    const prose = Buffer.from('The end.\nSet the table, if you can; start now, remember the children.\n'.repeat(2000));
    assert.equal(textType(prose), 'text');
  });

  it('expressions rewritten to stay linear say what the old ones said', () => {
    const oldSet = /^\s*set\s+\/?[a-z]*\s*\w+=/m;
    const newSet = INDICATORS.find(([type]) => type === 'script-batch')![1].find(({ pattern }) => pattern.source.startsWith('^\\s*set'))!.pattern;
    const setPiece = fc.constantFrom('set', ' ', '  ', '\t', '\n', '/', 'a', 'bc', '_', '1', '=', 'x=', '\u00a0', '\u2028', '-');
    fc.assert(
      fc.property(fc.array(setPiece, { maxLength: 14 }), (pieces) => {
        const text = pieces.join('');
        assert.equal(newSet.test(text), oldSet.test(text), JSON.stringify(text));
      }),
      { numRuns: 6000 },
    );
    const oldHtml = /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|script|iframe|frameset|form|div|table|style)[\s>]/;
    const htmlPiece = fc.constantFrom('<!--', '-->', '<!---->', '-', '>', '<', ' ', '\n', 'x', '<html>', '<div ', '<body', '<!doctype html>', '<!doctype  html ');
    fc.assert(
      fc.property(fc.array(htmlPiece, { maxLength: 10 }), (pieces) => {
        const text = pieces.join('');
        assert.equal(HTML_START.test(text), oldHtml.test(text), JSON.stringify(text));
      }),
      { numRuns: 6000 },
    );
  });

  it('returns on texts built to make backtracking expressions run for ever', () => {
    // Each took the old expressions seconds (or, for the comments, exponential time) on its own.
    assert.equal(textType(Buffer.from(`${'<!---->'.repeat(5000)}x`)), 'text');
    assert.equal(textType(Buffer.from('function ('.repeat(6500))), 'text');
    assert.equal(textType(Buffer.from(`function${' '.repeat(60_000)}x`)), 'text');
    assert.equal(textType(Buffer.from(`set ${'a'.repeat(60_000)}`)), 'text');
    assert.equal(textType(Buffer.from(`function f(${'a'.repeat(60_000)}) {\nvar x = 1;\n`)), 'script-js');
  });
});
