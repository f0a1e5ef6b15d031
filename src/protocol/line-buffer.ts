// The one line assembler of the line-based protocols: the IMAP framer, the POP3 engine and the
// preludes all cut their input into LF-terminated lines with it. A line longer than the caller's
// limit (counted with its line ending) is a result, not an exception, so each caller reports it as
// the protocol error it is.

const LF = 0x0a;

export type LineTake =
  /** A complete line with its line ending, and the index just after it in the chunk. */
  | { kind: 'line'; line: Buffer; next: number }
  /** The chunk ended inside a line; its bytes are kept. */
  | { kind: 'needMore' }
  /** The line is longer than maxLineBytes; nothing of it is handed out. */
  | { kind: 'tooLong'; maxLineBytes: number };

const NEED_MORE: LineTake = Object.freeze({ kind: 'needMore' });
/** takeLine's answers other than a line. */
export const NEED_MORE_LINE = 0;
export const TOO_LONG_LINE = 1;

export class LineAssembler {
  /** Pieces of the incomplete line; undefined while there is none (most of the time). */
  private parts: Buffer[] | undefined;
  private partLength = 0;
  /** Index in the chunk just after the line takeLine last returned. */
  lineEnd = 0;

  /** Bytes of the line started but not yet complete. */
  get pendingLength(): number {
    return this.partLength;
  }

  /**
   * The next line starting at chunk[start]. A line that is a view of the chunk is returned without
   * copying; the bytes of an incomplete line are copied (a view would pin the whole chunk in memory
   * while the line stays open).
   */
  take(chunk: Buffer, start: number, maxLineBytes: number): LineTake {
    const line = this.takeLine(chunk, start, maxLineBytes);
    if (line === NEED_MORE_LINE) return NEED_MORE;
    if (line === TOO_LONG_LINE) return { kind: 'tooLong', maxLineBytes };
    return { kind: 'line', line, next: this.lineEnd };
  }

  /**
   * take() without a result object, for the engines' per-line loops: the line (then `lineEnd` is the
   * index after it), NEED_MORE_LINE or TOO_LONG_LINE.
   */
  takeLine(chunk: Buffer, start: number, maxLineBytes: number): Buffer | typeof NEED_MORE_LINE | typeof TOO_LONG_LINE {
    const lf = chunk.indexOf(LF, start);
    const end = lf === -1 ? chunk.length : lf + 1;
    if (this.partLength + (end - start) > maxLineBytes) return TOO_LONG_LINE;
    if (lf === -1) {
      if (end > start) {
        (this.parts ??= []).push(Buffer.from(chunk.subarray(start, end)));
        this.partLength += end - start;
      }
      return NEED_MORE_LINE;
    }
    this.lineEnd = end;
    // A chunk that is one whole line (a small command or answer in its own TLS record) is the line itself.
    const tail = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
    if (this.parts === undefined) return tail;
    this.parts.push(tail);
    const line = Buffer.concat(this.parts, this.partLength + tail.length);
    this.reset();
    return line;
  }

  /** Removes and returns the bytes of the incomplete line, if any. */
  takePending(): Buffer | undefined {
    if (this.parts === undefined || this.partLength === 0) return undefined;
    const pending = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partLength);
    this.reset();
    return pending;
  }

  reset(): void {
    this.parts = undefined;
    this.partLength = 0;
  }
}

/** Bytes pushed now and read line by line later (the preludes), on the same assembler. */
export class LineBuffer {
  private readonly lines = new LineAssembler();
  private chunk: Buffer = Buffer.alloc(0);
  private position = 0;

  constructor(private readonly maxLineBytes: number) {}

  push(bytes: Buffer): void {
    const unread = this.chunk.subarray(this.position);
    this.chunk = unread.length === 0 ? bytes : Buffer.concat([unread, bytes]);
    this.position = 0;
  }

  /** The next complete line; needMore when none is complete yet. */
  next(): LineTake {
    if (this.position >= this.chunk.length) return NEED_MORE;
    const taken = this.lines.take(this.chunk, this.position, this.maxLineBytes);
    this.position = taken.kind === 'line' ? taken.next : this.chunk.length;
    return taken;
  }

  /** Everything not yet handed out as a line, emptying the buffer. */
  takeRest(): Buffer {
    const pending = this.lines.takePending();
    const unread = this.chunk.subarray(this.position);
    this.discard();
    if (pending === undefined) return unread;
    return unread.length === 0 ? pending : Buffer.concat([pending, unread]);
  }

  discard(): void {
    this.lines.reset();
    this.chunk = Buffer.alloc(0);
    this.position = 0;
  }
}

export function lineText(line: Buffer): string {
  return line.toString('latin1').replace(/\r?\n$/, '');
}
