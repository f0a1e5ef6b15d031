// Finds multipart delimiter lines (RFC 2046 §5.1.1) the way Dovecot does, so that part numbers agree with
// the server's BODYSTRUCTURE: a line starting with "--" + an open boundary is a delimiter whatever
// follows, the longest matching open boundary wins, the innermost on a tie, and "--" right after the
// boundary closes that multipart.
import { DASH } from './bytes.js';

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

export const LF_DASH_DASH = Buffer.from('\n--', 'latin1');

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
