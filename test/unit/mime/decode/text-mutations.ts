// Property-test inputs for the decoders: a well-formed encoded text laid out in lines, with odd
// characters inserted or written over at random places.
import fc from 'fast-check';

export interface TextMutation {
  at: number;
  text: string;
  replace: boolean;
}

/** One insertion (or overwrite) of one of `odd` at a relative position. */
export const textMutation = (odd: readonly string[]): fc.Arbitrary<TextMutation> =>
  fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.constantFrom(...odd), replace: fc.boolean() });

export function mutate(text: string, mutations: readonly TextMutation[]): string {
  let out = text;
  for (const { at, text: inserted, replace } of mutations) {
    const position = Math.min(out.length, Math.floor(at * out.length));
    out = out.slice(0, position) + inserted + out.slice(position + (replace ? inserted.length : 0));
  }
  return out;
}

/** Bytes a broken or unusual base64 body may hold where base64 characters belong. */
export const ODD_BASE64 = ['-', '_', '=', '==', ' ', '\t', '\x0c', '\x00', '\x80', '\xff', '\r', '\n', '\r\n', 'A', '.', 'QUJD'];

/** `encoded` cut into lines of `lineChars` characters joined by `eol`. */
export function lines(encoded: string, lineChars: number, eol: string, finalEol: boolean): string {
  const out: string[] = [];
  for (let at = 0; at < encoded.length; at += lineChars) out.push(encoded.slice(at, at + lineChars));
  return out.join(eol) + (finalEol && out.length > 0 ? eol : '');
}

export interface Base64Layout {
  lineChars: number;
  eol: string;
  finalEol: boolean;
}

/**
 * The base64 of `data` (followed by that of its first 7 bytes when `concatenated`: padding mid-body),
 * laid out in lines, mutated, and cut after `cut` characters when given.
 */
export function brokenBase64(data: Uint8Array, layout: Base64Layout, mutations: readonly TextMutation[], cut: number | undefined, concatenated: boolean): string {
  let encoded = Buffer.from(data).toString('base64');
  if (concatenated) encoded += Buffer.from(data.subarray(0, 7)).toString('base64');
  const text = mutate(lines(encoded, layout.lineChars, layout.eol, layout.finalEol), mutations);
  return cut === undefined ? text : text.slice(0, cut);
}
