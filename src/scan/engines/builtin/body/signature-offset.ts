// The Offset field of an .ndb signature: where the signature's first byte may be. Supported: '*'
// (anywhere), 'n' and 'EOF-n', each optionally floating as 'x,MaxShift'. Executable-relative forms
// (EP+n, Sx+n, SEx, SL+n), VI and macros are valid ClamAV but unsupported here.
import { rejectLine, type LineResult } from '../signatures/signature-warnings.js';

export type SignatureOffset =
  | { kind: 'any' }
  | { kind: 'absolute'; start: number; shift: number }
  | { kind: 'eof'; back: number; shift: number };

export function parseOffset(text: string): LineResult<SignatureOffset> {
  if (text === '*') return { ok: true, value: { kind: 'any' } };
  const match = /^(EOF-)?(\d+)(?:,(\d+))?$/.exec(text);
  if (match) {
    const amount = Number(match[2]);
    const shift = match[3] === undefined ? 0 : Number(match[3]);
    return { ok: true, value: match[1] ? { kind: 'eof', back: amount, shift } : { kind: 'absolute', start: amount, shift } };
  }
  if (/^(EP[+-]\d+|S\d+\+\d+|SE\d+|SL\+\d+)(,\d+)?$/.test(text) || text.startsWith('VI') || text.includes('$')) {
    return rejectLine('unsupported', `offset '${text}' (executable-relative, VI and macro offsets are not implemented)`);
  }
  return rejectLine('malformed', `offset '${text}' is not '*', n, EOF-n, EP+n, Sx+n, SEx or SL+n`);
}

/** The closed range of start positions allowed in a file of this length, or null if none. */
export function offsetRange(offset: SignatureOffset, length: number): [number, number] | null {
  let lo: number;
  let shift: number;
  if (offset.kind === 'any') return [0, length];
  if (offset.kind === 'absolute') {
    lo = offset.start;
    shift = offset.shift;
  } else {
    lo = length - offset.back;
    shift = offset.shift;
  }
  if (lo < 0 || lo > length) return null;
  return [lo, Math.min(length, lo + shift)];
}
