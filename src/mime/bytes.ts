// Byte-level helpers shared by the walker and the rewriters. Lines end at LF (CRLF or bare LF), as in
// Dovecot's parser, so a message with bare LFs splits the same way as one with CRLFs.

export const LF = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const TAB = 0x09;
export const DASH = 0x2d;

export type LineEnding = '\r\n' | '\n';

/** Start of the line after the one containing `position`, or `limit` when there is none. */
export function nextLineStart(buffer: Buffer, position: number, limit: number = buffer.length): number {
  const lf = buffer.indexOf(LF, position);
  return lf === -1 || lf >= limit ? limit : lf + 1;
}

/** Where the line break before `lineStart` begins, if it lies at or after `floor`; else `lineStart`. */
export function lineBreakBefore(buffer: Buffer, lineStart: number, floor: number): number {
  if (lineStart - 1 < floor || buffer[lineStart - 1] !== LF) return lineStart;
  if (lineStart - 2 >= floor && buffer[lineStart - 2] === CR) return lineStart - 2;
  return lineStart - 1;
}

/** The line ending used by the first line break at or after `from`; CRLF when there is none. */
export function lineEndingOf(buffer: Buffer, from = 0, to: number = buffer.length): LineEnding {
  const lf = buffer.indexOf(LF, from);
  if (lf === -1 || lf >= to) return '\r\n';
  return lf > from && buffer[lf - 1] === CR ? '\r\n' : '\n';
}

export function isBlankLine(buffer: Buffer, lineStart: number, lineEnd: number): boolean {
  const length = lineEnd - lineStart;
  if (length === 1) return buffer[lineStart] === LF;
  return length === 2 && buffer[lineStart] === CR && buffer[lineStart + 1] === LF;
}

export function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x7f) return false;
  return true;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Header and file-name bytes: UTF-8 when they are valid UTF-8 (RFC 6532), else Latin-1, never throwing. */
export function bytesToText(bytes: Uint8Array): string {
  let allAscii = true;
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index] > 0x7f) {
      allAscii = false;
      break;
    }
  }
  if (allAscii) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  }
}

/** A string that was read as Latin-1 but may hold raw UTF-8, read again as UTF-8 when it is valid UTF-8. */
export function latin1ToText(value: string): string {
  for (let index = 0; index < value.length; index++) {
    if (value.charCodeAt(index) > 0x7f) return bytesToText(Buffer.from(value, 'latin1'));
  }
  return value;
}
