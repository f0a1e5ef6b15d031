// User regular expressions (`matches`) run on attacker-controlled text (subjects, headers, names), so
// they run on RE2 (re2js): linear in the input, no backtracking. RE2 has no backreferences and no
// lookaround; such patterns are rejected when the rule is validated, not at match time.
import { RE2JS } from 're2js';

export interface UserRegex {
  /** True when the pattern is found anywhere in the text, like RegExp.prototype.test. */
  test(text: string): boolean;
}

/** Throws with RE2's reason (e.g. "invalid or unsupported Perl syntax: `(?=`") when the pattern cannot run in linear time. */
export function compileUserRegex(pattern: string, caseSensitive: boolean): UserRegex {
  const compiled = RE2JS.compile(pattern, caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE);
  return { test: (text) => compiled.test(text) };
}
