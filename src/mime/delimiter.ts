// Finds multipart delimiter lines (RFC 2046 §5.1.1) the way Dovecot does, so that part numbers agree with
// the server's BODYSTRUCTURE: a line starting with "--" + an open boundary is a delimiter whatever
// follows, the longest matching open boundary wins, the innermost on a tie, and "--" right after the
// boundary closes that multipart.
import { DASH, LF } from './bytes.js';

export interface OpenBoundary<Owner> {
  owner: Owner;
  boundary: Buffer;
}

export interface DelimiterLine<Owner> {
  /** Index in the stack of the multipart the line belongs to. */
  stackIndex: number;
  owner: Owner;
  /** Position of the leading "--". */
  lineStart: number;
  closing: boolean;
}

const DASH_DASH = Buffer.from('--', 'latin1');

/**
 * Where the first "\n--" at or after `from` is, or -1: bytes.indexOf("\n--", from). Searched as "--",
 * whose first byte no base64 line holds, while every line holds a "\n" (a search for "\n--" stops at
 * each); "--" inside a line sends the search on to the next line break, so a line costs at most two
 * searches whatever dashes it holds.
 */
export function indexOfLineDashes(bytes: Buffer, from: number): number {
  for (let lineBreakFrom = Math.max(0, from); ; ) {
    const dashes = bytes.indexOf(DASH_DASH, lineBreakFrom + 1);
    if (dashes === -1) return -1;
    if (bytes[dashes - 1] === LF) return dashes - 1;
    lineBreakFrom = bytes.indexOf(LF, dashes + 2);
    if (lineBreakFrom === -1) return -1;
  }
}

/** Counters a caller may pass to see how much matching was done. */
export interface DelimiterWork {
  delimiterCandidates: number;
  boundaryComparisons: number;
}

/** The delimiter line at `lineStart`, if that line is one. */
export function delimiterAt<Owner>(buffer: Buffer, lineStart: number, stack: readonly OpenBoundary<Owner>[], work?: DelimiterWork): DelimiterLine<Owner> | undefined {
  if (stack.length === 0 || buffer[lineStart] !== DASH || buffer[lineStart + 1] !== DASH) return undefined;
  if (work) work.delimiterCandidates++;
  const valueStart = lineStart + 2;
  let best = -1;
  for (let index = stack.length - 1; index >= 0; index--) {
    const boundary = stack[index].boundary;
    if (best !== -1 && stack[best].boundary.length >= boundary.length) continue;
    if (valueStart + boundary.length > buffer.length) continue;
    if (work) work.boundaryComparisons++;
    if (buffer.compare(boundary, 0, boundary.length, valueStart, valueStart + boundary.length) === 0) best = index;
  }
  if (best === -1) return undefined;
  const after = valueStart + stack[best].boundary.length;
  return {
    stackIndex: best,
    owner: stack[best].owner,
    lineStart,
    closing: buffer[after] === DASH && buffer[after + 1] === DASH,
  };
}
