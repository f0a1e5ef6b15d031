// File-name globs: `*` any run of characters, `?` one character, `[abc]`, `[a-z]`, `[!abc]` or `[^abc]`.
// Everything else is literal. Matching is anchored and case-insensitive unless asked otherwise.
//
// File names are chosen by whoever sends the mail, so matching never backtracks without bound: it is
// the two-pointer wildcard algorithm (on a mismatch only the last `*` takes one more character), at
// most (name length + 1) × (pattern length + 1) steps, with no RegExp involved.

type Token = { kind: 'star' } | { kind: 'one' } | { kind: 'char'; char: string } | { kind: 'class'; negated: boolean; items: ClassItem[] };
type ClassItem = { from: number; to: number };

export interface GlobRun {
  matched: boolean;
  /** Characters compared, counting each retry after a `*`: the work done, for tests. */
  steps: number;
}

export interface Glob {
  test(text: string): boolean;
  run(text: string): GlobRun;
}

/** Throws SyntaxError when a bracket class is invalid (e.g. "[z-a]"). */
export function compileGlob(glob: string, caseSensitive = false): Glob {
  const tokens = parseGlob(Array.from(glob));
  const fold = caseSensitive ? (char: string) => [char] : caseVariants;
  const run = (text: string) => matchTokens(tokens, Array.from(text), fold);
  return { run, test: (text) => run(text).matched };
}

function parseGlob(chars: string[]): Token[] {
  const tokens: Token[] = [];
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index];
    if (char === '*') {
      // Runs of stars mean the same as one.
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (char === '?') tokens.push({ kind: 'one' });
    else if (char === '[' && chars.indexOf(']', index + 2) !== -1) {
      // A `]` right after `[` (or `[!`) belongs to the class, as in shells.
      const close = chars.indexOf(']', index + 2);
      let body = chars.slice(index + 1, close);
      const negated = body[0] === '!' || body[0] === '^';
      if (negated) body = body.slice(1);
      tokens.push({ kind: 'class', negated, items: parseClass(body) });
      index = close;
    } else tokens.push({ kind: 'char', char });
  }
  return tokens;
}

function parseClass(body: string[]): ClassItem[] {
  const items: ClassItem[] = [];
  for (let index = 0; index < body.length; index++) {
    const from = body[index].codePointAt(0) as number;
    if (body[index + 1] === '-' && index + 2 < body.length) {
      const to = body[index + 2].codePointAt(0) as number;
      if (to < from) throw new SyntaxError(`range out of order in character class: ${body[index]}-${body[index + 2]}`);
      items.push({ from, to });
      index += 2;
    } else items.push({ from, to: from });
  }
  return items;
}

/** The character and its other-case forms that are single characters themselves ("ß" has no upper-case form here). */
function caseVariants(char: string): string[] {
  const variants = [char];
  for (const other of [char.toLowerCase(), char.toUpperCase()]) {
    if (!variants.includes(other) && Array.from(other).length === 1) variants.push(other);
  }
  return variants;
}

function tokenAccepts(token: Token, char: string, fold: (char: string) => string[]): boolean {
  if (token.kind === 'one') return true;
  if (token.kind === 'char') {
    if (token.char === char) return true;
    const variants = fold(char);
    return variants.length > 1 && fold(token.char).some((variant) => variants.includes(variant));
  }
  if (token.kind === 'class') {
    const inClass = fold(char).some((variant) => {
      const point = variant.codePointAt(0) as number;
      return token.items.some((item) => point >= item.from && point <= item.to);
    });
    return inClass !== token.negated;
  }
  return false;
}

function matchTokens(tokens: Token[], text: string[], fold: (char: string) => string[]): GlobRun {
  let steps = 0;
  let pattern = 0;
  let position = 0;
  // Where the last `*` was and how much of the text it has taken so far.
  let star = -1;
  let starTaken = 0;
  while (position < text.length) {
    steps++;
    const token = tokens[pattern];
    if (token && token.kind !== 'star' && tokenAccepts(token, text[position], fold)) {
      pattern++;
      position++;
    } else if (token?.kind === 'star') {
      star = pattern++;
      starTaken = position;
    } else if (star >= 0) {
      // Mismatch after a `*`: that star takes one more character and the rest is tried again.
      pattern = star + 1;
      position = ++starTaken;
    } else return { matched: false, steps };
  }
  while (tokens[pattern]?.kind === 'star') pattern++;
  return { matched: pattern === tokens.length, steps };
}
