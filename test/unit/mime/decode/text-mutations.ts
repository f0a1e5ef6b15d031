// Property-test inputs for the decoders: a well-formed encoded text with odd characters inserted or
// written over at random places.
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
