// Slow, obviously correct matchers that the fast ones are checked against.
import type { HexToken } from '../../../../src/scan/engines/builtin/body/hex-pattern.js';
import { offsetRange, type SignatureOffset } from '../../../../src/scan/engines/builtin/body/signature-offset.js';

/** Every (pattern, end) pair where a pattern occurs in data, by brute force. */
export function naiveOccurrences(patterns: Uint8Array[], data: Uint8Array): string[] {
  const found: string[] = [];
  patterns.forEach((pattern, id) => {
    for (let start = 0; start + pattern.length <= data.length; start++) {
      let equal = true;
      for (let i = 0; i < pattern.length && equal; i++) equal = data[start + i] === pattern[i];
      if (equal) found.push(`${id}@${start + pattern.length}`);
    }
  });
  return found.sort();
}

function byteEscape(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, '0')}`;
}

function tokenRegExp(token: HexToken): string {
  switch (token.kind) {
    case 'byte': {
      const members: string[] = [];
      for (let b = 0; b < 256; b++) if ((b & token.mask) === token.value) members.push(byteEscape(b));
      return `[${members.join('')}]`;
    }
    case 'gap':
      return token.max === Infinity ? `[\\s\\S]{${token.min},}` : `[\\s\\S]{${token.min},${token.max}}`;
    case 'alt': {
      const options = token.options.map((option) => option.map(tokenRegExp).join('')).join('|');
      return token.negated ? `(?!(?:${options}))[\\s\\S]{${token.options[0].length}}` : `(?:${options})`;
    }
  }
}

/** Does the signature match the data? Via a JavaScript regular expression over latin1 text. */
export function regExpMatches(tokens: HexToken[], offset: SignatureOffset, data: Buffer): boolean {
  const body = tokens.map(tokenRegExp).join('');
  const text = data.toString('latin1');
  if (offset.kind === 'any') return new RegExp(body).test(text);
  const range = offsetRange(offset, data.length);
  if (!range) return false;
  return new RegExp(`^[\\s\\S]{${range[0]},${range[1]}}(?:${body})`).test(text);
}
