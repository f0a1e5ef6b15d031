// Filler that keeps a rewrite at the exact byte size: whitespace lines, which text readers show as blank
// and quoted-printable decoders drop (trailing whitespace is not content, RFC 2045 §6.7 rule 3).
import type { LineEnding } from '../bytes.js';

const WIDTH = 76;
const SPACE = 0x20;
const LINES = { '\r\n': Buffer.from(`\r\n${' '.repeat(WIDTH)}`, 'latin1'), '\n': Buffer.from(`\n${' '.repeat(WIDTH)}`, 'latin1') };

/**
 * Exactly `length` bytes: a line break, then lines of at most 76 spaces; fewer bytes than that are plain
 * spaces. It can be as large as the attachment it replaces, so writePadding fills it in place.
 */
export function padding(length: number, eol: LineEnding): Buffer {
  if (length <= 0) return Buffer.alloc(0);
  const filler = Buffer.allocUnsafe(length);
  writePadding(filler, 0, length, eol);
  return filler;
}

/**
 * Writes padding(length, eol) into `into` at `start`. The full lines repeat one pattern (line break, 76
 * spaces), written by one native fill; only the last, shorter line is written on its own.
 */
export function writePadding(into: Buffer, start: number, length: number, eol: LineEnding): void {
  if (length <= 0) return;
  if (length <= eol.length) {
    into.fill(SPACE, start, start + length);
    return;
  }
  const period = WIDTH + eol.length;
  const afterFirstBreak = length - eol.length;
  const fullLines = Math.floor(afterFirstBreak / period);
  // The pattern from `start`: a break every `period` bytes, the last one closing the last full line.
  const patterned = fullLines * period + eol.length;
  into.fill(LINES[eol], start, start + patterned);
  const rest = afterFirstBreak - fullLines * period;
  const end = start + length;
  if (rest <= WIDTH) {
    into.fill(SPACE, start + patterned, end);
    return;
  }
  // Too long for spaces alone and too short for a full line: a shorter line, then its break, ends the filler.
  into.fill(SPACE, start + patterned, end - eol.length);
  into.write(eol, end - eol.length, 'latin1');
}
