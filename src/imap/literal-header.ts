import { isDigit, lineEndStart, LPAREN, MINUS, PLUS, RBRACE, SP, TILDE, LBRACE, LBRACKET } from './ascii.js';

// A literal is announced at the very end of a line: `{N}` (RFC 3501), `~{N}` literal8 (RFC 3516),
// and from clients also `{N+}` / `{N-}` (LITERAL+ / LITERAL-, RFC 7888). The N bytes that follow
// the line terminator are the literal's content.

export interface LiteralHeader {
  /** Offset of `{` (or of `~` for literal8) in the line. */
  start: number;
  /** Offset just after `}`; the line terminator follows. */
  end: number;
  size: number;
  binary: boolean;
  /** `{N+}` or `{N-}`: the sender does not wait for a continuation request. */
  nonSync: boolean;
}

const MAX_DIGITS = 15;

/**
 * The literal header at the end of a line (which ends with LF), or null. A header counts only at a
 * token boundary (start of line, after SP, `(` or `[`), so text like `foo{5}` is not one.
 */
export function literalAtLineEnd(line: Buffer, allowNonSync: boolean): LiteralHeader | null {
  const end = lineEndStart(line);
  if (end < 3 || line[end - 1] !== RBRACE) return null;
  let i = end - 2;
  let nonSync = false;
  if (allowNonSync && (line[i] === PLUS || line[i] === MINUS)) {
    nonSync = true;
    i--;
  }
  const digitsEnd = i + 1;
  while (i >= 0 && isDigit(line[i])) i--;
  const digits = digitsEnd - (i + 1);
  if (digits === 0 || digits > MAX_DIGITS || i < 0 || line[i] !== LBRACE) return null;
  let start = i;
  const binary = i > 0 && line[i - 1] === TILDE;
  if (binary) start = i - 1;
  if (start > 0) {
    const before = line[start - 1];
    if (before !== SP && before !== LPAREN && before !== LBRACKET) return null;
  }
  let size = 0;
  for (let d = i + 1; d < digitsEnd; d++) size = size * 10 + (line[d] - 0x30);
  return { start, end, size, binary, nonSync };
}

/** `{size}` or `~{size}` followed by the given terminator. */
export function literalHeaderBytes(size: number, binary: boolean, terminator: Buffer): Buffer {
  const head = Buffer.from(`${binary ? '~' : ''}{${size}}`, 'latin1');
  return Buffer.concat([head, terminator], head.length + terminator.length);
}
