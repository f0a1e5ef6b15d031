// Filler that keeps a rewrite at the exact byte size: whitespace lines, which text readers show as blank
// and quoted-printable decoders drop (trailing whitespace is not content, RFC 2045 §6.7 rule 3).
import type { LineEnding } from '../bytes.js';

const WIDTH = 76;

/** Exactly `length` bytes: a line break, then lines of spaces; fewer bytes than that are plain spaces. */
export function padding(length: number, eol: LineEnding): string {
  if (length <= 0) return '';
  if (length <= eol.length) return ' '.repeat(length);
  let remaining = length - eol.length;
  const lines: string[] = [];
  while (remaining > WIDTH) {
    const width = Math.min(WIDTH, remaining - eol.length);
    lines.push(' '.repeat(width));
    remaining -= width + eol.length;
  }
  lines.push(' '.repeat(remaining));
  return eol + lines.join(eol);
}
