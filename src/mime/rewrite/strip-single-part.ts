// Replaces the body of a part fetched alone (BODY[n]). The client decodes it with the BODYSTRUCTURE it
// already holds, so the replacement keeps the part's transfer encoding and its exact encoded size (the
// notice shrinks to a shorter one, then to padding alone, until it fits); for base64 it even keeps the
// line layout, byte for byte.
import { lineEndingOf, type LineEnding } from '../bytes.js';
import { asciiNotice } from '../encode/notice.js';
import { encodeQuotedPrintable } from '../encode/quoted-printable.js';
import { fallbackTexts, firstFitting, fittedBytes, type NoticeForm } from './replacement-entity.js';
import type { RewriteResult } from './strip-parts.js';

/** `shorter` notices are tried in order when `notice` does not fit, then ever shorter fixed lines, then padding alone. */
export function stripSinglePart(partBody: Buffer, transferEncoding: string, notice: string, shorter: readonly string[] = []): RewriteResult {
  const eol = lineEndingOf(partBody);
  const encoding = transferEncoding.trim().toLowerCase();
  const notices = [notice, ...shorter, ...fallbackTexts({ full: notice }, eol)];
  const formOf = (index: number): NoticeForm => (index === 0 ? 'full' : index <= shorter.length ? 'short' : 'bare');
  if (encoding === 'base64') return stripBase64(partBody, notices, formOf, eol);
  const encode = (text: string) => {
    const lines = noticeText(text, eol);
    return encoding === 'quoted-printable' ? encodeQuotedPrintable(lines, eol) : encoding === '7bit' ? asciiNotice(text, eol) : lines;
  };
  const fitted = firstFitting(notices.map((text, index) => ({ form: formOf(index), content: Buffer.from(encode(text), 'utf8') })), partBody.length, eol);
  return { bytes: fittedBytes(fitted), sizePreserved: fitted.fits, noticeForms: [fitted.form] };
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
function stripBase64(partBody: Buffer, notices: readonly string[], formOf: (index: number) => NoticeForm, eol: LineEnding): RewriteResult {
  let characters = 0;
  for (let index = 0; index < partBody.length; index++) if (!WHITESPACE.has(partBody[index])) characters++;
  const decodedLength = Math.floor(characters / 4) * 3 + [0, 0, 1, 2][characters % 4];
  // The last notice is "": padding alone, which fits any length.
  const index = notices.findIndex((notice) => Buffer.byteLength(noticeText(notice, eol), 'utf8') <= decodedLength);
  const fitted = firstFitting([{ form: formOf(index), content: Buffer.from(noticeText(notices[index], eol), 'utf8') }], decodedLength, eol);
  // A trailing lone character (characters % 4 === 1) carries no bits: it becomes "=".
  const encoded = fittedBytes(fitted).toString('base64').replace(/=+$/, '').padEnd(characters, '=');
  const output = Buffer.from(partBody);
  for (let position = 0, slot = 0; position < output.length; position++) {
    if (!WHITESPACE.has(output[position])) output[position] = encoded.charCodeAt(slot++);
  }
  return { bytes: output, sizePreserved: true, noticeForms: [fitted.form] };
}
