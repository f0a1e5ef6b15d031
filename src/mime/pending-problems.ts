// A part's `malformed` may depend on a problem that is only known once the part is decoded (a broken
// base64 body): such a problem is pending, and `malformed` becomes a getter that settles it when read.
// Decoding first (as the scanner does) makes reading it free; reading it first costs a check.

/** A problem as text, or one still to be found out (undefined: there is none). */
export type PendingProblem = string | (() => string | undefined);

/**
 * Sets `target.malformed` to summarize(problems that exist), or leaves it unset when there are none.
 * With a pending problem among them it is a getter with the same value (and assigning replaces it).
 */
export function setMalformed(target: { malformed?: string }, problems: readonly PendingProblem[], summarize: (known: string[]) => string): void {
  if (problems.every((problem) => typeof problem === 'string')) {
    if (problems.length > 0) target.malformed = summarize(problems as string[]);
    return;
  }
  Object.defineProperty(target, 'malformed', {
    enumerable: true,
    configurable: true,
    get: () => {
      const known = settle(problems);
      return known.length > 0 ? summarize(known) : undefined;
    },
    set: (value: string | undefined) => Object.defineProperty(target, 'malformed', { value, enumerable: true, configurable: true, writable: true }),
  });
}

function settle(problems: readonly PendingProblem[]): string[] {
  const known: string[] = [];
  for (const problem of problems) {
    const text = typeof problem === 'string' ? problem : problem();
    if (text !== undefined) known.push(text);
  }
  return known;
}
