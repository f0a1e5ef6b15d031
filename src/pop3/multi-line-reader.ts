import { LineAssembler } from '../protocol/line-buffer.js';

// Reads a multi-line reply line by line, for the few replies whose lines the proxy rewrites (CAPA and
// the bare-AUTH mechanism list). Lines are handed out raw, still dot-stuffed. Replies passed through
// unchanged and message bodies use DotUnstuffer instead, which does not assemble lines.

export type LineReadResult =
  /** `end`: just past what was consumed (past the terminator when found, else the input's length); `terminator`: the terminating line as sent, once found. */
  | { kind: 'read'; end: number; terminator: Buffer | undefined }
  /** A line is longer than maxLineBytes; nothing more is read. */
  | { kind: 'tooLong'; maxLineBytes: number };

export function isTerminatorLine(line: Buffer): boolean {
  return line.length <= 3 && line[0] === 0x2e && (line.length === 2 ? line[1] === 0x0a : line[1] === 0x0d && line[2] === 0x0a);
}

export class MultiLineReader {
  private readonly lines = new LineAssembler();

  constructor(private readonly maxLineBytes: number) {}

  /** Calls onLine for every complete line before the terminator. */
  push(chunk: Buffer, start: number, onLine: (line: Buffer) => void): LineReadResult {
    let position = start;
    while (position < chunk.length) {
      const taken = this.lines.take(chunk, position, this.maxLineBytes);
      if (taken.kind === 'tooLong') return taken;
      if (taken.kind === 'needMore') break;
      position = taken.next;
      if (isTerminatorLine(taken.line)) return { kind: 'read', end: position, terminator: taken.line };
      onLine(taken.line);
    }
    return { kind: 'read', end: chunk.length, terminator: undefined };
  }
}
