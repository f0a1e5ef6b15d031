// Byte-level helpers shared by the IMAP tokenizer and its users. IMAP syntax is ASCII; everything here works on
// Buffers directly so that lines are inspected without decoding them to strings first.

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const LPAREN = 0x28;
export const RPAREN = 0x29;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LT = 0x3c;
export const GT = 0x3e;
export const TILDE = 0x7e;
export const PLUS = 0x2b;
export const MINUS = 0x2d;
export const STAR = 0x2a;
export const DOT = 0x2e;

export const CRLF = Buffer.from('\r\n', 'latin1');

export function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/** Index where the line terminator (CRLF or a bare LF) of a line ending in LF starts. */
export function lineEndStart(line: Buffer): number {
  const lf = line.length - 1;
  if (lf >= 1 && line[lf - 1] === CR) return lf - 1;
  return lf;
}

/** Decimal digits in [start, end) as a number; undefined if empty, not all digits, or not exactly representable. */
export function parseDecimal(buf: Buffer, start: number, end: number): number | undefined {
  if (end <= start || end - start > 15) return undefined;
  let value = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i];
    if (!isDigit(byte)) return undefined;
    value = value * 10 + (byte - 0x30);
  }
  return value;
}

/** Case-insensitive comparison of buf[pos…] with an upper-case ASCII word. */
export function startsWithWord(buf: Buffer, pos: number, upperWord: string): boolean {
  if (pos + upperWord.length > buf.length) return false;
  for (let i = 0; i < upperWord.length; i++) {
    let byte = buf[pos + i];
    if (byte >= 0x61 && byte <= 0x7a) byte -= 0x20;
    if (byte !== upperWord.charCodeAt(i)) return false;
  }
  return true;
}

/** Position of the next SP, CR or LF at or after pos (or buf.length). */
export function wordEnd(buf: Buffer, pos: number): number {
  let i = pos;
  while (i < buf.length) {
    const byte = buf[i];
    if (byte === SP || byte === CR || byte === LF) break;
    i++;
  }
  return i;
}

/** Below this many bytes a JS loop beats the call into Buffer#toString (tags, verbs, status words). */
const SHORT_TEXT = 24;

export function latin1(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length > SHORT_TEXT) return buf.toString('latin1', start, end);
  // Up to 8 characters (most tags, every status word) in one call: one string instead of one per character.
  switch (length) {
    case 0:
      return '';
    case 1:
      return String.fromCharCode(buf[start]);
    case 2:
      return String.fromCharCode(buf[start], buf[start + 1]);
    case 3:
      return String.fromCharCode(buf[start], buf[start + 1], buf[start + 2]);
    case 4:
      return String.fromCharCode(buf[start], buf[start + 1], buf[start + 2], buf[start + 3]);
    case 5:
      return String.fromCharCode(buf[start], buf[start + 1], buf[start + 2], buf[start + 3], buf[start + 4]);
    case 6:
      return String.fromCharCode(buf[start], buf[start + 1], buf[start + 2], buf[start + 3], buf[start + 4], buf[start + 5]);
    case 7:
      return String.fromCharCode(buf[start], buf[start + 1], buf[start + 2], buf[start + 3], buf[start + 4], buf[start + 5], buf[start + 6]);
    case 8:
      return String.fromCharCode(buf[start], buf[start + 1], buf[start + 2], buf[start + 3], buf[start + 4], buf[start + 5], buf[start + 6], buf[start + 7]);
  }
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(buf[i]);
  return text;
}

/**
 * buf[start…end) upper-cased, as one of `known` (upper-case ASCII words) when it is one of them in any
 * case, so the commands a client repeats make no new strings; otherwise a new string.
 */
export function upperWord(buf: Buffer, start: number, end: number, known: readonly string[]): string {
  const length = end - start;
  for (const word of known) if (word.length === length && startsWithWord(buf, start, word)) return word;
  return latin1(buf, start, end).toUpperCase();
}

/** Content of the quoted string whose opening quote is at start and closing quote at end - 1. */
export function unquote(buf: Buffer, start: number, end: number): Buffer {
  const inner = buf.subarray(start + 1, end - 1);
  if (inner.indexOf(BACKSLASH) < 0) return inner;
  const out = Buffer.allocUnsafe(inner.length);
  let n = 0;
  for (let i = 0; i < inner.length; i++) {
    const byte = inner[i];
    if (byte === BACKSLASH && i + 1 < inner.length) {
      out[n++] = inner[++i];
    } else {
      out[n++] = byte;
    }
  }
  return out.subarray(0, n);
}
