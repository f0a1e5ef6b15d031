/** Collects bytes and hands out complete LF-terminated lines; refuses to grow past maxLineBytes. */
export class LineBuffer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLineBytes = 8192) {}

  push(bytes: Buffer): void {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
  }

  /** The next complete line including its line ending, or undefined. Throws when a line is too long. */
  nextLine(): Buffer | undefined {
    const lf = this.pending.indexOf(0x0a);
    if (lf < 0) {
      if (this.pending.length > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
      return undefined;
    }
    const line = this.pending.subarray(0, lf + 1);
    this.pending = this.pending.subarray(lf + 1);
    return line;
  }

  /** Everything not yet handed out, emptying the buffer. */
  takeRest(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest;
  }

  discard(): void {
    this.pending = Buffer.alloc(0);
  }
}

export class LineTooLongError extends Error {
  constructor(limit: number) {
    super(`line longer than ${limit} bytes`);
  }
}

export function lineText(line: Buffer): string {
  return line.toString('latin1').replace(/\r?\n$/, '');
}
