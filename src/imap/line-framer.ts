import { LF } from './ascii.js';

// Splits one direction of an IMAP stream into line segments and literal content, whatever the
// chunking. A segment is everything up to and including the next LF; if it ends with a literal
// header, the sink says how many literal bytes follow and those are handed over as they arrive
// (subarrays of the input, never copied or accumulated). Only an incomplete line is buffered, as a
// list of slices that is concatenated once when its LF arrives.

export interface FramerSink {
  /** A complete segment. Returns the length of the literal that follows it, or -1 for none. */
  onLine(line: Buffer): number;
  onLiteralData(chunk: Buffer): void;
  onLiteralEnd(): void;
  /** The current line grew beyond the limit without an LF; the framer stops. */
  onOverlongLine(): void;
}

export class LineFramer {
  private parts: Buffer[] = [];
  private partsLength = 0;
  private literalRemaining = -1;
  private literalSeen = 0;
  private stopped = false;

  constructor(
    private readonly sink: FramerSink,
    private readonly maxLineBytes: number,
  ) {}

  get inLiteral(): boolean {
    return this.literalRemaining >= 0;
  }

  /** Literal bytes received so far for the current literal. */
  get literalBytesSeen(): number {
    return this.literalSeen;
  }

  get hasPartialLine(): boolean {
    return this.partsLength > 0;
  }

  /** Forget an announced literal that will not come (a synchronizing literal the server refused). */
  cancelLiteral(): void {
    this.literalRemaining = -1;
    this.literalSeen = 0;
  }

  /** Removes and returns the bytes of an incomplete line (for end of stream). */
  takePartialLine(): Buffer | undefined {
    if (this.partsLength === 0) return undefined;
    const line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    return line;
  }

  stop(): void {
    this.stopped = true;
    this.parts = [];
    this.partsLength = 0;
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
      const lf = chunk.indexOf(LF, pos);
      if (lf < 0) {
        this.parts.push(pos === 0 ? chunk : chunk.subarray(pos));
        this.partsLength += length - pos;
        if (this.partsLength > this.maxLineBytes) {
          this.stop();
          this.sink.onOverlongLine();
        }
        return;
      }
      let line: Buffer;
      if (this.partsLength === 0) {
        line = chunk.subarray(pos, lf + 1);
      } else {
        this.parts.push(chunk.subarray(pos, lf + 1));
        line = Buffer.concat(this.parts, this.partsLength + lf + 1 - pos);
        this.parts = [];
        this.partsLength = 0;
      }
      pos = lf + 1;
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
