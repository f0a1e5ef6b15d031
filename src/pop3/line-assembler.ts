// Assembles LF-terminated lines from chunks without re-copying a partial line on every chunk.

const LF = 0x0a;

export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`line longer than ${limit} bytes`);
  }
}

export class LineAssembler {
  private parts: Buffer[] = [];
  private partLength = 0;

  /** Bytes of the line started but not yet complete. */
  get pendingLength(): number {
    return this.partLength;
  }

  /**
   * The next complete line (with its line ending) starting at chunk[start], and the index after it; or
   * undefined when the chunk ends inside the line (the bytes are kept). A line that is a view of the
   * chunk is returned without copying. Throws LineTooLongError past maxLineBytes.
   */
  take(chunk: Buffer, start: number, maxLineBytes: number): { line: Buffer; next: number } | undefined {
    const lf = chunk.indexOf(LF, start);
    const end = lf === -1 ? chunk.length : lf + 1;
    if (this.partLength + (end - start) > maxLineBytes) throw new LineTooLongError(maxLineBytes);
    if (lf === -1) {
      if (end > start) {
        // Copy: a view would pin the whole chunk in memory while the line stays open.
        this.parts.push(Buffer.from(chunk.subarray(start, end)));
        this.partLength += end - start;
      }
      return undefined;
    }
    const tail = chunk.subarray(start, end);
    if (this.parts.length === 0) return { line: tail, next: end };
    this.parts.push(tail);
    const line = Buffer.concat(this.parts, this.partLength + tail.length);
    this.reset();
    return { line, next: end };
  }

  reset(): void {
    this.parts = [];
    this.partLength = 0;
  }
}
