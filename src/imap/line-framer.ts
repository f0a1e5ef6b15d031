import { LineAssembler, NEED_MORE_LINE, TOO_LONG_LINE } from '../protocol/line-buffer.js';

// Splits one direction of an IMAP stream into line segments and literal content, whatever the
// chunking. A segment is everything up to and including the next LF (cut by the shared
// LineAssembler); if it ends with a literal header, the sink says how many literal bytes follow and
// those are handed over as they arrive (subarrays of the input, never copied or accumulated).

export interface FramerSink {
  /** A complete segment. Returns the length of the literal that follows it, or -1 for none. */
  onLine(line: Buffer): number;
  onLiteralData(chunk: Buffer): void;
  onLiteralEnd(): void;
  /** The current line (with its line ending) is longer than maxLineBytes; the framer stops. */
  onOverlongLine(maxLineBytes: number): void;
}

export class LineFramer {
  private readonly lines = new LineAssembler();
  private literalRemaining = -1;
  private literalSeen = 0;
  private stopped = false;

  /** `maxLineBytes` may change between lines (the limit can depend on the state of the conversation). */
  constructor(
    private readonly sink: FramerSink,
    public maxLineBytes: number,
  ) {}

  get inLiteral(): boolean {
    return this.literalRemaining >= 0;
  }

  /** Literal bytes received so far for the current literal. */
  get literalBytesSeen(): number {
    return this.literalSeen;
  }

  get hasPartialLine(): boolean {
    return this.lines.pendingLength > 0;
  }

  /** Forget an announced literal that will not come (a synchronizing literal the server refused). */
  cancelLiteral(): void {
    this.literalRemaining = -1;
    this.literalSeen = 0;
  }

  /** Removes and returns the bytes of an incomplete line (for end of stream). */
  takePartialLine(): Buffer | undefined {
    return this.lines.takePending();
  }

  stop(): void {
    this.stopped = true;
    this.lines.reset();
  }

  push(chunk: Buffer): void {
    let pos = 0;
    const length = chunk.length;
    while (pos < length && !this.stopped) {
      if (this.literalRemaining > 0) {
        const n = Math.min(this.literalRemaining, length - pos);
        const piece = pos === 0 && n === length ? chunk : chunk.subarray(pos, pos + n);
        pos += n;
        this.literalRemaining -= n;
        this.literalSeen += n;
        this.sink.onLiteralData(piece);
        if (this.literalRemaining === 0) this.finishLiteral();
        continue;
      }
      const line = this.lines.takeLine(chunk, pos, this.maxLineBytes);
      if (line === NEED_MORE_LINE) return;
      if (line === TOO_LONG_LINE) {
        const maxLineBytes = this.maxLineBytes;
        this.stop();
        this.sink.onOverlongLine(maxLineBytes);
        return;
      }
      pos = this.lines.lineEnd;
      const literal = this.sink.onLine(line);
      if (literal >= 0 && !this.stopped) {
        this.literalRemaining = literal;
        this.literalSeen = 0;
        if (literal === 0) this.finishLiteral();
      }
    }
  }

  private finishLiteral(): void {
    this.literalRemaining = -1;
    this.literalSeen = 0;
    this.sink.onLiteralEnd();
  }
}
