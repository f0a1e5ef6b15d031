// User regular expressions (`matches`) run on attacker-controlled text (subjects, headers, names), so
// they run on RE2 (re2js): linear in the input, no backtracking. RE2 has no backreferences and no
// lookaround; such patterns are rejected when the rule is validated, not at match time.
import { createRequire } from 'node:module';
import type { RE2JS as Re2 } from 're2js';

let re2: typeof Re2 | undefined;

/** re2js on first use (several MiB resident): a configuration without `matches` conditions never loads it. */
function re2js(): typeof Re2 {
  re2 ??= (createRequire(import.meta.url)('re2js') as typeof import('re2js')).RE2JS;
  return re2;
}

export interface UserRegex {
  /** True when the pattern is found anywhere in the text, like RegExp.prototype.test. */
  test(text: string): boolean;
}

/** Throws with RE2's reason (e.g. "invalid or unsupported Perl syntax: `(?=`") when the pattern cannot run in linear time. */
export function compileUserRegex(pattern: string, caseSensitive: boolean): UserRegex {
  const RE2JS = re2js();
  const compiled = RE2JS.compile(pattern, caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE);
  return { test: (text) => compiled.test(text) };
}
