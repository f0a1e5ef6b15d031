// MIME header lines of a replacement text part: Content-Type with the name in RFC 2047 form (what Outlook
// reads), Content-Disposition with the filename in RFC 2231 form, each folded at parameter boundaries.
import { isAscii, type LineEnding } from '../bytes.js';
import { libmime } from '../libmime.js';

export function replacementHeaderLines(fileName: string, transferEncoding: string, eol: LineEnding): string {
  return [contentTypeLine(fileName, eol), contentDispositionLine(fileName, eol), `Content-Transfer-Encoding: ${transferEncoding}`]
    .map((line) => line + eol)
    .join('');
}

/**
 * The same for a 7bit ASCII notice when bytes are short: the defaults (charset us-ascii, 7bit; RFC 2045
 * §5.2, §6.1) need no field.
 */
export function compactReplacementHeaderLines(fileName: string, eol: LineEnding): string {
  return [contentTypeLine(fileName, eol, 'Content-Type: text/plain'), contentDispositionLine(fileName, eol)].map((line) => line + eol).join('');
}

const FOLD_AT = 76;

function contentTypeLine(fileName: string, eol: LineEnding, head = 'Content-Type: text/plain; charset=utf-8'): string {
  if (isAscii(fileName)) return joinParams([head, `name=${quoted(fileName)}`], eol);
  const words = libmime.encodeWord(fileName, 'B', 52).split(' ');
  return `${head};${eol} name="${words.join(`${eol}  `)}"`;
}

function contentDispositionLine(fileName: string, eol: LineEnding): string {
  if (isAscii(fileName) && fileName.length <= 60) return joinParams(['Content-Disposition: attachment', `filename=${quoted(fileName)}`], eol);
  const built = libmime.buildHeaderValue({ value: 'attachment', params: { filename: fileName } });
  return `Content-Disposition: ${built.split('; ').join(`;${eol} `)}`;
}

/** One line when it fits in 76 characters, else one parameter per folded line. */
function joinParams(items: string[], eol: LineEnding): string {
  const oneLine = items.join('; ');
  return oneLine.length <= FOLD_AT ? oneLine : items.join(`;${eol} `);
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, (character) => `\\${character}`)}"`;
}
