// Replaces the body of a part fetched alone (BODY[n]). The client decodes it with the BODYSTRUCTURE it
// already holds, so the replacement keeps the part's transfer encoding and, when the notice fits, its
// exact encoded size; for base64 it even keeps the line layout, byte for byte.
import { lineEndingOf, type LineEnding } from '../bytes.js';
import { asciiNotice } from '../encode/notice.js';
import { encodeQuotedPrintable } from '../encode/quoted-printable.js';
import { fitToLength } from './replacement-entity.js';
import type { RewriteResult } from './strip-parts.js';

export function stripSinglePart(partBody: Buffer, transferEncoding: string, notice: string): RewriteResult {
  const eol = lineEndingOf(partBody);
  const encoding = transferEncoding.trim().toLowerCase();
  if (encoding === 'base64') return stripBase64(partBody, notice, eol);
  const text = noticeText(notice, eol);
  const minimal = encoding === 'quoted-printable' ? encodeQuotedPrintable(text, eol) : encoding === '7bit' ? asciiNotice(notice, eol) : text;
  const fitted = fitToLength(Buffer.from(minimal, 'utf8'), partBody.length, eol);
  return { bytes: fitted.bytes, sizePreserved: fitted.fits };
}

function noticeText(notice: string, eol: LineEnding): string {
  return notice.replace(/\r?\n$/, '').split(/\r?\n/).join(eol);
}

const WHITESPACE = new Set([0x20, 0x09, 0x0d, 0x0a]);

/**
 * Every non-whitespace byte of the original is a character slot; the new base64 text fills the same slots,
 * so line lengths and line breaks stay where they were. The decoded notice is padded to exactly the
 * number of bytes those slots carry (unpadded base64 when the original had no "=" padding).
 */
function stripBase64(partBody: Buffer, notice: string, eol: LineEnding): RewriteResult {
  let characters = 0;
  for (let index = 0; index < partBody.length; index++) if (!WHITESPACE.has(partBody[index])) characters++;
  const decodedLength = Math.floor(characters / 4) * 3 + [0, 0, 1, 2][characters % 4];
  const noticeBytes = Buffer.from(noticeText(notice, eol), 'utf8');
  if (noticeBytes.length > decodedLength || decodedLength === 0) {
    return { bytes: Buffer.from(wrapBase64(noticeBytes.toString('base64'), firstLineWidth(partBody), eol), 'latin1'), sizePreserved: false };
  }
  const content = fitToLength(noticeBytes, decodedLength, eol).bytes;
  let encoded = content.toString('base64').replace(/=+$/, '');
  if (characters % 4 === 1) encoded += '=';
  const output = Buffer.from(partBody);
  for (let index = 0, slot = 0; index < output.length; index++) {
    if (!WHITESPACE.has(output[index])) output[index] = encoded.charCodeAt(slot++);
  }
  return { bytes: output, sizePreserved: true };
}

function firstLineWidth(partBody: Buffer): number {
  const lf = partBody.indexOf(0x0a);
  const width = lf === -1 ? partBody.length : partBody[lf - 1] === 0x0d ? lf - 1 : lf;
  return width >= 4 && width <= 998 ? width : 76;
}

function wrapBase64(encoded: string, width: number, eol: LineEnding): string {
  const lines: string[] = [];
  for (let index = 0; index < encoded.length; index += width) lines.push(encoded.slice(index, index + width));
  return lines.join(eol);
}
