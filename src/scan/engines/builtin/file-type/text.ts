// Text files and what kind of text: HTML, HTA, or a script (JavaScript, VBScript, PowerShell,
// batch). A script extension decides for text content; otherwise a script needs at least two
// distinct telltale constructs of its language, so prose that mentions one keyword stays text.
import type { DetectedType } from '../../../../types/verdict.js';
import { AhoCorasick } from '../body/aho-corasick.js';

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

const HTML_START = /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|script|iframe|frameset|form|div|table|style)[\s>]/;
const HTML_EXTENSIONS = new Set(['htm', 'html', 'xhtml', 'shtml']);

/**
 * A telltale construct and the strings at least one of which any match of it contains: the
 * expression runs only when one is in the text, and most text holds none of them.
 */
export interface Indicator {
  pattern: RegExp;
  needs: readonly string[];
}

const indicator = (pattern: RegExp, ...needs: string[]): Indicator => ({ pattern, needs });

export const INDICATORS: ReadonlyArray<[DetectedType, Indicator[]]> = [
  [
    'script-powershell',
    [
      indicator(/\b(invoke-expression|iex)\b/, 'invoke-expression', 'iex'),
      indicator(/-(encodedcommand|enc)\s+[a-z0-9+/=]{8,}/, '-enc'),
      indicator(/new-object\s+(system\.)?net\.webclient/, 'new-object'),
      indicator(/\$env:\w+/, '$env:'),
      indicator(/\[system\.convert\]::frombase64string/, '[system.convert]::frombase64string'),
      indicator(/\bstart-process\b/, 'start-process'),
      indicator(/\b(invoke-webrequest|invoke-restmethod)\b|\.download(string|file)\s*\(/, 'invoke-webrequest', 'invoke-restmethod', '.download'),
      indicator(/-executionpolicy\s+bypass|\bset-executionpolicy\b/, 'executionpolicy'),
      indicator(/\bwrite-(host|output)\b/, 'write-'),
      indicator(/\b(get|set|new|remove)-(item|childitem|itemproperty|content|variable)\b/, '-item', '-childitem', '-content', '-variable'),
    ],
  ],
  [
    'script-vbs',
    [
      indicator(/\bcreateobject\s*\(/, 'createobject'),
      indicator(/\bwscript\.(shell|echo|sleep|scriptfullname|arguments|quit)\b/, 'wscript.'),
      indicator(/^\s*dim\s+\w+/m, 'dim'),
      indicator(/^\s*end\s+(sub|function)\b/m, 'end'),
      indicator(/\bon\s+error\s+resume\s+next\b/, 'resume'),
      indicator(/^\s*set\s+\w+\s*=\s*\w/m, 'set'),
      indicator(/\bexecute(global)?\b\s*[("]/, 'execute'),
      indicator(/\bchr[bw]?\s*\(\s*\d+\s*\)\s*&/, 'chr'),
    ],
  ],
  [
    'script-js',
    [
      indicator(/\bfunction\s*[\w$]*\s*\([^)]*\)\s*\{/, 'function'),
      indicator(/\bvar\s+[\w$]+\s*=/, 'var'),
      indicator(/\b(let|const)\s+[\w$]+\s*=/, 'let', 'const'),
      indicator(/\bnew\s+activexobject\s*\(/, 'activexobject'),
      indicator(/\bwscript\.createobject\s*\(/, 'wscript.createobject'),
      indicator(/\beval\s*\(/, 'eval'),
      indicator(/\bdocument\.write(ln)?\s*\(/, 'document.write'),
      indicator(/\bstring\.fromcharcode\s*\(/, 'string.fromcharcode'),
      indicator(/=>\s*[{(]/, '=>'),
    ],
  ],
  [
    'script-batch',
    [
      indicator(/^\s*@?echo\s+off\b/m, 'echo'),
      indicator(/^\s*set\s+\/?[a-z]*\s*\w+=/m, 'set'),
      indicator(/^\s*goto\s+:?\w+/m, 'goto'),
      indicator(/%~dp0|%\w+%/, '%'),
      indicator(/^\s*(if\s+(not\s+)?exist|start\s+""|cmd(\.exe)?\s+\/[ck]|del\s+\/[fqs])/m, 'if', 'start', 'cmd', 'del'),
      indicator(/^\s*(rem\s|::)/m, 'rem', '::'),
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

/**
 * The needed strings the text contains. Each is ASCII, so the text's characters taken as latin1 bytes
 * (a character above U+00FF keeps its low byte) hold every one it contains, and at most a few more.
 */
export function neededStringsIn(text: string): Set<string> {
  const found = new Set<string>();
  const bytes = Buffer.from(text, 'latin1');
  NEEDED_SEARCH.scan(bytes, 0, bytes.length, 0, (id) => found.add(NEEDED[id]));
  return found;
}

function scriptByContent(text: string): DetectedType | undefined {
  const present = neededStringsIn(text);
  let best: { type: DetectedType; score: number } | undefined;
  for (const [type, patterns] of INDICATORS) {
    const score = patterns.filter(({ pattern, needs }) => needs.some((needed) => present.has(needed)) && pattern.test(text)).length;
    if (score >= MIN_INDICATORS && (!best || score > best.score)) best = { type, score };
  }
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
