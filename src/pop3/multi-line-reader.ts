import { LineAssembler } from './line-assembler.js';

// Reads a multi-line reply line by line, for the few replies whose lines the proxy rewrites (CAPA and
// the bare-AUTH mechanism list). Lines are handed out raw, still dot-stuffed. Replies passed through
// unchanged and message bodies use DotUnstuffer instead, which does not assemble lines.

const MAX_LINE_BYTES = 64 * 1024;

export interface LineReadResult {
  /** Index just past what was consumed: past the terminator when it was found, else the input's length. */
  end: number;
  /** The terminating line as sent, once found. */
  terminator: Buffer | undefined;
}

export function isTerminatorLine(line: Buffer): boolean {
  return line.length <= 3 && line[0] === 0x2e && (line.length === 2 ? line[1] === 0x0a : line[1] === 0x0d && line[2] === 0x0a);
}

export class MultiLineReader {
  private readonly lines = new LineAssembler();

  /** Calls onLine for every complete line before the terminator. Throws LineTooLongError past 64 KiB. */
  push(chunk: Buffer, start: number, onLine: (line: Buffer) => void): LineReadResult {
    let position = start;
    while (position < chunk.length) {
      const taken = this.lines.take(chunk, position, MAX_LINE_BYTES);
      if (taken === undefined) break;
      position = taken.next;
      if (isTerminatorLine(taken.line)) return { end: position, terminator: taken.line };
      onLine(taken.line);
    }
    return { end: chunk.length, terminator: undefined };
  }
}
