// The notice text as a body: 7bit when it is plain ASCII with short lines, else quoted-printable.
import { isAscii, type LineEnding } from '../bytes.js';
import { encodeQuotedPrintable } from './quoted-printable.js';

export interface EncodedNotice {
  transferEncoding: '7bit' | 'quoted-printable';
  /** The encoded text, line breaks in the message's style, no line break at the end. */
  text: string;
}

export function encodeNotice(notice: string, eol: LineEnding): EncodedNotice {
  const lines = notice.replace(/\r?\n$/, '').split(/\r?\n/);
  const plain = isAscii(notice) && !/[\r\0]/.test(notice.replace(/\r\n/g, '\n')) && lines.every((line) => line.length <= 998 && !line.startsWith('-'));
  if (plain) return { transferEncoding: '7bit', text: lines.join(eol) };
  return { transferEncoding: 'quoted-printable', text: encodeQuotedPrintable(lines.join('\n'), eol) };
}

/** The notice as plain text for a body whose charset we cannot change: non-ASCII becomes "?". */
export function asciiNotice(notice: string, eol: LineEnding): string {
  return notice
    .replace(/\r?\n$/, '')
    .split(/\r?\n/)
    .map((line) => line.replace(/[^\x20-\x7e\t]/g, '?').replace(/^-/, ' -'))
    .join(eol);
}
