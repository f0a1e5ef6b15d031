// Filler that keeps a rewrite at the exact byte size: whitespace lines, which text readers show as blank
// and quoted-printable decoders drop (trailing whitespace is not content, RFC 2045 §6.7 rule 3).
import type { LineEnding } from '../bytes.js';

const WIDTH = 76;
const SPACE = 0x20;

/**
 * Exactly `length` bytes: a line break, then lines of at most 76 spaces; fewer bytes than that are plain
 * spaces. Written into one pre-filled buffer, because it can be as large as the attachment it replaces.
 */
export function padding(length: number, eol: LineEnding): Buffer {
  if (length <= 0) return Buffer.alloc(0);
  const filler = Buffer.alloc(length, SPACE);
  if (length <= eol.length) return filler;
  const lineBreak = Buffer.from(eol, 'latin1');
  lineBreak.copy(filler, 0);
  let position = eol.length;
  let remaining = length - eol.length;
  while (remaining > WIDTH) {
    const width = Math.min(WIDTH, remaining - eol.length);
    position += width;
    lineBreak.copy(filler, position);
    position += eol.length;
    remaining -= width + eol.length;
  }
  return filler;
}
