import type { Finding, Verdict } from '../types/verdict.js';
import { SIZE_LIMIT_FINDING } from './engines/clamd/index.js';

// When findings of several kinds meet, the most serious decides. Infected always wins; a part that
// could not be fully inspected (limits, errors, broken structure) outranks mere suspicion.
const SEVERITY: Verdict[] = ['infected', 'too-large', 'archive-limit', 'error', 'timeout', 'malformed', 'encrypted', 'suspicious', 'clean'];

function verdictOfFinding(finding: Finding): Verdict {
  switch (finding.kind) {
    case 'signature':
      return 'infected';
    case 'heuristic':
      return 'suspicious';
    case 'encrypted':
      return 'encrypted';
    case 'malformed':
      return 'malformed';
    case 'limit':
      return finding.name === SIZE_LIMIT_FINDING ? 'too-large' : 'archive-limit';
  }
}

export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict = 'clean';
  for (const verdict of verdicts) if (SEVERITY.indexOf(verdict) < SEVERITY.indexOf(worst)) worst = verdict;
  return worst;
}

export function verdictOf(findings: readonly Finding[], errors: readonly string[] = []): Verdict {
  return worstVerdict([...findings.map(verdictOfFinding), ...(errors.length > 0 ? (['error'] as Verdict[]) : [])]);
}
