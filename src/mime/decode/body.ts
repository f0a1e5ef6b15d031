// Undoes a Content-Transfer-Encoding. Unknown encodings are returned as they are, as clients show them.
import { decodeBase64 } from './base64.js';
import { decodeQuotedPrintable } from './quoted-printable.js';
import { decodeUuencodedBody } from './uuencode.js';

const UUENCODE_NAMES = new Set(['x-uuencode', 'uuencode', 'x-uue']);
const KNOWN = new Set(['7bit', '8bit', 'binary', 'base64', 'quoted-printable', ...UUENCODE_NAMES]);

export function decodeBody(body: Buffer, transferEncoding: string): Buffer {
  if (transferEncoding === 'base64') return decodeBase64(body);
  if (transferEncoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (UUENCODE_NAMES.has(transferEncoding)) return decodeUuencodedBody(body);
  return body;
}

export function isKnownTransferEncoding(transferEncoding: string): boolean {
  return KNOWN.has(transferEncoding);
}

/** Encodings whose encoded bytes are the content itself. */
export function isIdentityEncoding(transferEncoding: string): boolean {
  return transferEncoding === '7bit' || transferEncoding === '8bit' || transferEncoding === 'binary' || !KNOWN.has(transferEncoding);
}
