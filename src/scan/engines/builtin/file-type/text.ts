// Text files and what kind of text: HTML, HTA, or a script (JavaScript, VBScript, PowerShell,
// batch). A script extension decides for text content; otherwise a script needs at least two
// distinct telltale constructs of its language, so prose that mentions one keyword stays text.
import type { DetectedType } from '../../../../types/verdict.js';
import { AhoCorasick } from '../body/aho-corasick.js';
import { compileIndicator, functionDefinitionAt, type IndicatorAnchor, type IndicatorTest, type MatcherAt, type NeededPlaces } from './indicator-search.js';

const SAMPLE_BYTES = 64 * 1024;
const TEXT_CHECK_BYTES = 8 * 1024;
const MAX_CONTROL_RATIO = 0.05;
const MIN_INDICATORS = 2;

const UTF16LE_BOM = [0xff, 0xfe];
const UTF16BE_BOM = [0xfe, 0xff];

function hasUtf16Bom(content: Uint8Array): boolean {
  return (content[0] === UTF16LE_BOM[0] && content[1] === UTF16LE_BOM[1]) || (content[0] === UTF16BE_BOM[0] && content[1] === UTF16BE_BOM[1]);
}

/** Mostly printable, no NUL bytes (unless UTF-16 with a byte order mark). */
export function looksLikeText(content: Uint8Array): boolean {
  if (content.length === 0) return false;
  if (hasUtf16Bom(content)) return true;
  const end = Math.min(content.length, TEXT_CHECK_BYTES);
  let control = 0;
  for (let i = 0; i < end; i++) {
    const byte = content[i];
    if (byte === 0) return false;
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c && byte !== 0x1b) || byte === 0x7f) control++;
  }
  return control / end <= MAX_CONTROL_RATIO;
}

/** The start of the file as lower-case text (UTF-16 decoded when it has a BOM). */
function sampleText(content: Buffer): string {
  const sample = content.subarray(0, SAMPLE_BYTES);
  if (sample[0] === 0xff && sample[1] === 0xfe) return sample.toString('utf16le', 2).toLowerCase();
  if (sample[0] === 0xfe && sample[1] === 0xff) return Buffer.from(sample.subarray(2)).swap16().toString('utf16le').toLowerCase();
  return sample.toString('latin1').replace(/^\xef\xbb\xbf/, '').toLowerCase();
}

const SCRIPT_BY_EXTENSION: Record<string, DetectedType> = {
  js: 'script-js',
  jse: 'script-js',
  mjs: 'script-js',
  vbs: 'script-vbs',
  vbe: 'script-vbs',
  ps1: 'script-powershell',
  psm1: 'script-powershell',
  psd1: 'script-powershell',
  bat: 'script-batch',
  cmd: 'script-batch',
  hta: 'hta',
};

// Comments, then a tag. One optional comment says the same as any number of them (a comment may hold
// "-->", so several comments are one), and cannot backtrack over the ways of splitting them (which
// took exponential time in the number of "<!---->" before a text that is no HTML).
export const HTML_START = /^\s*(?:<!--[\s\S]*?-->\s*)?<(!doctype\s+html|html|head|body|meta|title|script|iframe|frameset|form|div|table|style)[\s>]/;
const HTML_EXTENSIONS = new Set(['htm', 'html', 'xhtml', 'shtml']);

/**
 * A telltale construct and the strings at least one of which any match of it contains: the
 * expression runs only when one is in the text, and most text holds none of them. With `anchor` it is
 * tried only where one of them stands (indicator-search.ts), not over the whole text: prose is full of
 * "end", "set", "if", "rem".
 */
export interface Indicator {
  pattern: RegExp;
  needs: readonly string[];
  anchor?: IndicatorAnchor;
  /** Tries the pattern from a place in linear time where the sticky expression would not. */
  matcher?: MatcherAt;
}

const indicator = (pattern: RegExp, ...needs: string[]): Indicator => ({ pattern, needs });
/** Every match begins with one of `needs`. */
const atNeed = (pattern: RegExp, ...needs: string[]): Indicator => ({ pattern, needs, anchor: 'start' });
/** `^\s*` (multiline), then one of `needs` (`line@`: `^\s*@?`). */
const atLine = (pattern: RegExp, ...needs: string[]): Indicator => ({ pattern, needs, anchor: 'line' });

export const INDICATORS: ReadonlyArray<[DetectedType, Indicator[]]> = [
  [
    'script-powershell',
    [
      atNeed(/\b(invoke-expression|iex)\b/, 'invoke-expression', 'iex'),
      atNeed(/-(encodedcommand|enc)\s+[a-z0-9+/=]{8,}/, '-enc'),
      atNeed(/new-object\s+(system\.)?net\.webclient/, 'new-object'),
      atNeed(/\$env:\w+/, '$env:'),
      atNeed(/\[system\.convert\]::frombase64string/, '[system.convert]::frombase64string'),
      atNeed(/\bstart-process\b/, 'start-process'),
      atNeed(/\b(invoke-webrequest|invoke-restmethod)\b|\.download(string|file)\s*\(/, 'invoke-webrequest', 'invoke-restmethod', '.download'),
      indicator(/-executionpolicy\s+bypass|\bset-executionpolicy\b/, 'executionpolicy'),
      atNeed(/\bwrite-(host|output)\b/, 'write-'),
      indicator(/\b(get|set|new|remove)-(item|childitem|itemproperty|content|variable)\b/, '-item', '-childitem', '-content', '-variable'),
    ],
  ],
  [
    'script-vbs',
    [
      atNeed(/\bcreateobject\s*\(/, 'createobject'),
      atNeed(/\bwscript\.(shell|echo|sleep|scriptfullname|arguments|quit)\b/, 'wscript.'),
      atLine(/^\s*dim\s+\w+/m, 'dim'),
      atLine(/^\s*end\s+(sub|function)\b/m, 'end'),
      indicator(/\bon\s+error\s+resume\s+next\b/, 'resume'),
      atLine(/^\s*set\s+\w+\s*=\s*\w/m, 'set'),
      atNeed(/\bexecute(global)?\b\s*[("]/, 'execute'),
      atNeed(/\bchr[bw]?\s*\(\s*\d+\s*\)\s*&/, 'chr'),
    ],
  ],
  [
    'script-js',
    [
      { pattern: /\bfunction\s*[\w$]*\s*\([^)]*\)\s*\{/, needs: ['function'], anchor: 'start', matcher: functionDefinitionAt },
      atNeed(/\bvar\s+[\w$]+\s*=/, 'var'),
      atNeed(/\b(let|const)\s+[\w$]+\s*=/, 'let', 'const'),
      indicator(/\bnew\s+activexobject\s*\(/, 'activexobject'),
      atNeed(/\bwscript\.createobject\s*\(/, 'wscript.createobject'),
      atNeed(/\beval\s*\(/, 'eval'),
      atNeed(/\bdocument\.write(ln)?\s*\(/, 'document.write'),
      atNeed(/\bstring\.fromcharcode\s*\(/, 'string.fromcharcode'),
      atNeed(/=>\s*[{(]/, '=>'),
    ],
  ],
  [
    'script-batch',
    [
      { pattern: /^\s*@?echo\s+off\b/m, needs: ['echo'], anchor: 'line@' },
      // `set\s+\/?[a-z]*\s*\w+=` written so that no two quantifiers can take the same characters.
      atLine(/^\s*set\s+(?:\/(?:[a-z]*\s+)?|(?:[a-z]+\s+)?)\w+=/m, 'set'),
      atLine(/^\s*goto\s+:?\w+/m, 'goto'),
      atNeed(/%~dp0|%\w+%/, '%'),
      atLine(/^\s*(if\s+(not\s+)?exist|start\s+""|cmd(\.exe)?\s+\/[ck]|del\s+\/[fqs])/m, 'if', 'start', 'cmd', 'del'),
      atLine(/^\s*(rem\s|::)/m, 'rem', '::'),
    ],
  ],
];

function extensionOf(fileName: string | undefined): string {
  const match = fileName ? /\.([^.\\/]+)\s*$/.exec(fileName) : null;
  return match ? match[1].toLowerCase() : '';
}

/** Every string some indicator needs, and one automaton that finds all of them in one pass over a text. */
const NEEDED = [...new Set(INDICATORS.flatMap(([, indicators]) => indicators.flatMap((indicator) => indicator.needs)))];
const NEEDED_SEARCH = new AhoCorasick(NEEDED.map((needed) => Buffer.from(needed, 'latin1')));
const TESTS: ReadonlyArray<[DetectedType, IndicatorTest[]]> = INDICATORS.map(([type, indicators]) => [
  type,
  indicators.map(({ pattern, needs, anchor, matcher }) => compileIndicator(pattern, needs.map((needed) => NEEDED.indexOf(needed)), anchor, matcher)),
]);

/**
 * Where each needed string starts in the text. Each is ASCII, so the text's characters taken as latin1
 * bytes (a character above U+00FF keeps its low byte) hold every place one stands, and at most a few more.
 */
function neededPlaces(text: string): NeededPlaces {
  const places: number[][] = [];
  const bytes = Buffer.from(text, 'latin1');
  NEEDED_SEARCH.scan(bytes, 0, bytes.length, 0, (id, end) => (places[id] ??= []).push(end - NEEDED[id].length));
  return places;
}

/** The needed strings the text contains (see neededPlaces). */
export function neededStringsIn(text: string): Set<string> {
  const places = neededPlaces(text);
  return new Set(NEEDED.filter((_, id) => places[id] !== undefined));
}

/** Which of INDICATORS match the text, in their order: the same as each pattern.test(text). */
export function indicatorHits(text: string): boolean[][] {
  const places = neededPlaces(text);
  return TESTS.map(([, tests]) => tests.map((test) => test(text, places)));
}

/** The script language at least MIN_INDICATORS of whose indicators match (the most of them; the first listed on a tie). */
function scriptByContent(text: string): DetectedType | undefined {
  const hits = indicatorHits(text);
  let best: { type: DetectedType; score: number } | undefined;
  INDICATORS.forEach(([type], index) => {
    const score = hits[index].filter(Boolean).length;
    if (score >= MIN_INDICATORS && (!best || score > best.score)) best = { type, score };
  });
  return best?.type;
}

/** The kind of a file already known to be text. */
export function textType(content: Buffer, fileName?: string): DetectedType {
  const text = sampleText(content);
  const extension = extensionOf(fileName);
  if (text.includes('<hta:application')) return 'hta';
  const byExtension = SCRIPT_BY_EXTENSION[extension];
  if (byExtension) return byExtension;
  if (extension === 'wsf' || extension === 'wsc') return /language\s*=\s*["']?vbscript/.test(text) ? 'script-vbs' : 'script-js';
  if (HTML_START.test(text) || (HTML_EXTENSIONS.has(extension) && text.includes('<'))) return 'html';
  if (/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(text)) return /<script[\s>]|\son\w+\s*=/.test(text) ? 'html' : 'image';
  return scriptByContent(text) ?? 'text';
}
