import { isDigit, SP, STAR, PLUS, startsWithWord, wordEnd, latin1, LPAREN, LBRACKET } from './ascii.js';

// First look at a server response line (RFC 3501 §7): what kind of response starts here. Only the
// few bytes needed to decide are read; the line itself is passed on untouched.

export type ResponseLine =
  | { kind: 'continuation' }
  | { kind: 'tagged'; tag: string; status: string }
  /** Untagged OK/NO/BAD/BYE/PREAUTH: resp-text only, never a literal. */
  | { kind: 'status'; status: string }
  | { kind: 'capability' }
  /** `* n FETCH (`; listStart is the offset just after the parenthesis. */
  | { kind: 'fetch'; seq: number; listStart: number }
  /** Any other untagged data response; it may carry literals. */
  | { kind: 'data' };

const STATUS_WORDS = ['OK', 'NO', 'BAD', 'BYE', 'PREAUTH'];
// The kinds without fields, shared (nothing writes to a classification).
const CONTINUATION: ResponseLine = Object.freeze({ kind: 'continuation' });
const CAPABILITY: ResponseLine = Object.freeze({ kind: 'capability' });
const DATA: ResponseLine = Object.freeze({ kind: 'data' });

function readStatus(line: Buffer, pos: number): string | undefined {
  for (const word of STATUS_WORDS) {
    if (startsWithWord(line, pos, word)) {
      const after = line[pos + word.length];
      if (after === SP || after === 0x0d || after === 0x0a) return word;
    }
  }
  return undefined;
}

export function classifyResponseLine(line: Buffer): ResponseLine {
  const first = line[0];
  if (first === PLUS) return CONTINUATION;
  if (first !== STAR) {
    const tagEnd = wordEnd(line, 0);
    if (tagEnd === 0 || line[tagEnd] !== SP) return DATA;
    const status = readStatus(line, tagEnd + 1);
    if (!status) return DATA;
    return { kind: 'tagged', tag: latin1(line, 0, tagEnd), status };
  }
  if (line[1] !== SP) return DATA;
  const pos = 2;
  if (isDigit(line[pos])) {
    let i = pos;
    let seq = 0;
    while (i < line.length && isDigit(line[i]) && i - pos < 15) seq = seq * 10 + (line[i++] - 0x30);
    if (line[i] === SP && startsWithWord(line, i + 1, 'FETCH') && line[i + 6] === SP && line[i + 7] === LPAREN) {
      return { kind: 'fetch', seq, listStart: i + 8 };
    }
    return DATA;
  }
  const status = readStatus(line, pos);
  if (status) return { kind: 'status', status };
  if (startsWithWord(line, pos, 'CAPABILITY')) return CAPABILITY;
  return DATA;
}

/** A response code `[NAME args]` right after the status word, e.g. UIDVALIDITY or CAPABILITY. */
export function responseCode(line: Buffer): { name: string; args: string } | undefined {
  if (line.indexOf(LBRACKET) < 0) return undefined;
  const text = line.toString('latin1');
  const m = /^(?:\*|[^ ]+) [A-Za-z]+ \[([A-Za-z0-9.\-]+)(?: ([^\]]*))?\]/.exec(text);
  if (!m) return undefined;
  return { name: m[1].toUpperCase(), args: m[2] ?? '' };
}
