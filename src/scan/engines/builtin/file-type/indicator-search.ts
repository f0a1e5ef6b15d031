// Tries a script indicator's expression only where one of the strings it needs stands in the text,
// instead of from every position of the text. That gives the same answer as pattern.test(text) when
// every match begins at one of those places ('start'), or is `^\s*` (multiline) followed by one of them
// ('line'; 'line@': `^\s*@?`): then a match exists exactly when the rest of the expression matches at
// such a place and only white space stands between a line start and it. That white space is walked
// backwards from the place; the runs before different places never overlap, so the walks together
// stay linear in the text. The expressions themselves are written so that a try at one place reads
// only the runs of characters next to it (no two adjacent quantifiers that take the same characters);
// where tries at many places would read the same stretch, the indicator brings its own matcher.

export type IndicatorAnchor = 'start' | 'line' | 'line@';

/** Start positions of each needed string in the text, by its index in the needed list (none: undefined). */
export type NeededPlaces = ReadonlyArray<readonly number[] | undefined>;

/** Whether the indicator matches the text, given where the needed strings are. */
export type IndicatorTest = (text: string, places: NeededPlaces) => boolean;

/** For one text: whether the indicator's expression matches from `at` (a 'start' indicator's own sticky test). */
export type MatcherAt = (text: string) => (at: number) => boolean;

const LINE_PREFIX: Record<Exclude<IndicatorAnchor, 'start'>, string> = { line: '^\\s*', 'line@': '^\\s*@?' };
/**
 * Past this many sticky tries, one search of the whole text (the same answer) costs less than trying
 * every place: a text of "%" or "::" over and over. The expressions are linear over the whole text too.
 */
const MAX_TRIES = 256;

/** `needIds`: the indicator's needed strings as indices into the needed list. */
export function compileIndicator(pattern: RegExp, needIds: readonly number[], anchor: IndicatorAnchor | undefined, matcher?: MatcherAt): IndicatorTest {
  if (anchor === undefined) return (text, places) => needIds.some((id) => places[id] !== undefined) && pattern.test(text);
  if (matcher) {
    if (anchor !== 'start') throw new Error(`indicator /${pattern.source}/: an own matcher is for 'start' indicators`);
    return (text, places) => {
      const matchesAt = matcher(text);
      return needIds.some((id) => (places[id] ?? []).some(matchesAt));
    };
  }
  let source = pattern.source;
  if (anchor !== 'start') {
    const prefix = LINE_PREFIX[anchor];
    if (!pattern.multiline || !source.startsWith(prefix)) throw new Error(`indicator /${source}/ is not ${prefix} (multiline) then a needed string`);
    source = source.slice(prefix.length);
  }
  const sticky = new RegExp(source, `${pattern.flags.replace('g', '')}y`);
  return (text, places) => {
    let tries = 0;
    for (const id of needIds) {
      for (const at of places[id] ?? []) {
        if (anchor === 'line' && !afterLineLead(text, at)) continue;
        if (anchor === 'line@' && !afterLineLead(text, at) && !(text.charCodeAt(at - 1) === 0x40 && afterLineLead(text, at - 1))) continue;
        if (++tries > MAX_TRIES) return pattern.test(text);
        sticky.lastIndex = at;
        if (sticky.test(text)) return true;
      }
    }
    return false;
  };
}

/** A line starts at `at`, or only white space (RegExp \s) stands between a line start and it. */
export function afterLineLead(text: string, at: number): boolean {
  for (let index = at - 1; index >= 0; index--) {
    const code = text.charCodeAt(index);
    if (isLineTerminator(code)) return true;
    if (!isSpace(code)) return false;
  }
  return true;
}

function isLineTerminator(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029;
}

/** RegExp \s: ECMAScript WhiteSpace and LineTerminator. */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * `\bfunction\s*[\w$]*\s*\([^)]*\)\s*\{` from `at`, read by hand so that places sharing a stretch read it
 * once: white space and a name cannot share characters, so what follows "function" decides where "("
 * must be; the name's end, the first ")" after "(" and what follows that ")" are each found once for
 * all the places that reach them ("function$function$…" is one name; "function (" repeated has one
 * ")" or none).
 */
export function functionDefinitionAt(text: string): (at: number) => boolean {
  const nameEnd = new RunEnd(text, isNameCharacter);
  // No ")" in [searchedFrom, close); close -1: none from searchedFrom on.
  let searchedFrom = Infinity;
  let close = -1;
  let braceChecked = -1;
  let braceFollows = false;
  return (at) => {
    if (at > 0 && isWordCharacter(text.charCodeAt(at - 1))) return false;
    let index = skipSpace(text, at + 'function'.length);
    if (index < text.length && isNameCharacter(text.charCodeAt(index))) index = skipSpace(text, nameEnd.from(index));
    if (text.charCodeAt(index) !== 0x28) return false;
    const open = index + 1;
    if (open < searchedFrom || (close !== -1 && open > close)) {
      searchedFrom = open;
      close = text.indexOf(')', open);
    }
    if (close === -1) return false;
    if (braceChecked !== close) {
      braceChecked = close;
      braceFollows = text.charCodeAt(skipSpace(text, close + 1)) === 0x7b;
    }
    return braceFollows;
  };
}

/** Where the run of characters `inRun` accepts that holds `index` ends, remembered for the places inside it. */
class RunEnd {
  private start = -1;
  private end = -1;

  constructor(
    private readonly text: string,
    private readonly inRun: (code: number) => boolean,
  ) {}

  from(index: number): number {
    if (index < this.start || index >= this.end) {
      this.start = index;
      this.end = index;
      while (this.end < this.text.length && this.inRun(this.text.charCodeAt(this.end))) this.end++;
    }
    return this.end;
  }
}

function skipSpace(text: string, index: number): number {
  while (index < text.length && isSpace(text.charCodeAt(index))) index++;
  return index;
}

/** RegExp \w (without the u flag). */
function isWordCharacter(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x5f;
}

/** [\w$] */
function isNameCharacter(code: number): boolean {
  return isWordCharacter(code) || code === 0x24;
}
