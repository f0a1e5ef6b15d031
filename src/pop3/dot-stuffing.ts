// RFC 1939 §3 byte-stuffing of multi-line responses, as streaming transforms.
//
// A line boundary is an LF (CRLF or a bare LF), the way POP3 clients (Thunderbird, poplib, curl) split
// lines, so that the proxy and the client always agree on where a line starts. Line endings are never
// changed. Both classes work on arbitrary chunk splits and search with Buffer.indexOf, so their cost is
// per line that starts with ".", not per byte.

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const LF_DOT = Buffer.from('\n.', 'latin1');
const DOT_BYTE = Buffer.from('.', 'latin1');
const CR_BYTE = Buffer.from('\r', 'latin1');
const LF_BYTE = Buffer.from('\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
const TERMINATOR_CRLF = Buffer.from('.\r\n', 'latin1');
const TERMINATOR_LF = Buffer.from('.\n', 'latin1');
const EMPTY = Buffer.alloc(0);

/**
 * Stuffs content for a multi-line response: every line that begins with "." gets one more ".".
 *
 * `end()` returns what makes the terminator `.\r\n` start on its own line: nothing when the content is
 * empty or ends with LF; "\n" when it ends with a lone CR (completing the CRLF); CRLF otherwise. The
 * client then sees that extra line ending as part of the content; it only happens for content that
 * did not end with a line ending, which a server cannot produce.
 *
 * How a session materializes a `bodyToClient` with encoding 'pop3-dot-stuffed': push the content bytes
 * [start ?? 0, end ?? size) through a new DotStuffer. Call `end()` only when the output has no `end`
 * (the whole content); a bounded range is a prefix that the engine continues with raw server bytes.
 */
export class DotStuffer {
  private atLineStart = true;
  private lastByte: number | undefined;

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    let parts: Buffer[] | undefined;
    let runStart = 0;
    if (this.atLineStart && chunk[0] === DOT) parts = [DOT_BYTE];
    for (let hit = chunk.indexOf(LF_DOT); hit !== -1; hit = chunk.indexOf(LF_DOT, hit + 2)) {
      parts ??= [];
      parts.push(chunk.subarray(runStart, hit + 1), DOT_BYTE);
      runStart = hit + 1;
    }
    this.lastByte = chunk[chunk.length - 1];
    this.atLineStart = this.lastByte === LF;
    if (parts === undefined) return chunk;
    parts.push(chunk.subarray(runStart));
    return Buffer.concat(parts);
  }

  end(): Buffer {
    if (this.lastByte === undefined || this.lastByte === LF) return EMPTY;
    this.atLineStart = true;
    const completion = this.lastByte === CR ? LF_BYTE : CRLF;
    this.lastByte = LF;
    return completion;
  }
}

export interface UnstuffResult {
  /** Un-stuffed content found in this push (a view of the input when no dot had to be removed). */
  content: Buffer | undefined;
  /** Index just past what was consumed: past the terminator when `done`, else the input's length. */
  end: number;
  /** True when the terminating line ("." + CRLF, or "." + LF) was consumed. */
  done: boolean;
}

const enum Pending {
  None,
  /** A "." at the start of a line was consumed; the next byte says whether it was stuffing or the terminator. */
  Dot,
  /** "." + CR at the start of a line; an LF next makes it the terminator. */
  DotCr,
}

/**
 * Reads a multi-line response body after its status line: removes the stuffing dot from lines that begin
 * with ".", keeps everything else byte for byte (line endings included), and finds the terminating line.
 * The terminator is not content; the line ending before it is.
 */
export class DotUnstuffer {
  private atLineStart = true;
  private pending = Pending.None;
  private finished: Buffer | undefined;
  private removedDot = false;

  get done(): boolean {
    return this.finished !== undefined;
  }

  /**
   * False while no stuffing dot has been removed: the content so far is byte for byte what the server
   * sent, no line of it begins with ".", and DotStuffer would give it back unchanged (a complete body
   * ends with a line ending, so its end() adds nothing either).
   */
  get unstuffedAny(): boolean {
    return this.removedDot;
  }

  /** The terminating line as the server sent it (".\r\n", or ".\n" from a bare-LF server), once done. */
  get terminator(): Buffer | undefined {
    return this.finished;
  }

  /**
   * Raw bytes already consumed whose meaning is not decided yet ("." or ".\r" at a line start). A caller
   * that switches from content to forwarding raw server bytes sends these first.
   */
  pendingRaw(): Buffer {
    if (this.pending === Pending.Dot) return DOT_BYTE;
    if (this.pending === Pending.DotCr) return Buffer.from('.\r', 'latin1');
    return EMPTY;
  }

  /** Consumes chunk[start…] up to and including the terminator. With collect false, no content is assembled. */
  push(chunk: Buffer, start = 0, collect = true): UnstuffResult {
    if (this.finished !== undefined) return { content: undefined, end: start, done: true };
    const length = chunk.length;
    const parts: Buffer[] = [];
    const keep = (from: number, to: number): void => {
      if (collect && to > from) parts.push(chunk.subarray(from, to));
    };
    const result = (end: number, terminator?: Buffer): UnstuffResult => {
      if (terminator !== undefined) {
        this.finished = terminator;
        this.pending = Pending.None;
      }
      const content = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : Buffer.concat(parts);
      return { content, end, done: terminator !== undefined };
    };

    let i = start;
    let runStart = start;
    if (this.pending === Pending.DotCr) {
      if (i >= length) return result(length);
      if (chunk[i] === LF) return result(i + 1, TERMINATOR_CRLF);
      // "." CR <not LF>: the dot was stuffing and the CR is content.
      if (collect) parts.push(CR_BYTE);
      this.removedDot = true;
      this.pending = Pending.None;
      this.atLineStart = false;
    }
    for (;;) {
      if (this.pending === Pending.Dot) {
        if (i >= length) break;
        const next = chunk[i];
        if (next === LF) return result(i + 1, TERMINATOR_LF);
        if (next === CR) {
          if (i + 1 >= length) {
            this.pending = Pending.DotCr;
            return result(length);
          }
          if (chunk[i + 1] === LF) return result(i + 2, TERMINATOR_CRLF);
        }
        this.removedDot = true;
        this.pending = Pending.None;
        this.atLineStart = false;
      } else if (this.atLineStart) {
        if (i >= length) break;
        if (chunk[i] === DOT) {
          keep(runStart, i);
          i += 1;
          runStart = i;
          this.pending = Pending.Dot;
          continue;
        }
        this.atLineStart = false;
      }
      const lineStartDot = chunk.indexOf(LF_DOT, i);
      if (lineStartDot === -1) {
        if (i < length) this.atLineStart = chunk[length - 1] === LF;
        break;
      }
      keep(runStart, lineStartDot + 1);
      i = lineStartDot + 2;
      runStart = i;
      this.pending = Pending.Dot;
    }
    keep(runStart, length);
    return result(length);
  }
}
