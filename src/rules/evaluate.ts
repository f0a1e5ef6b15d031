// Runs the rules of one level in their listed order: the first enabled rule whose conditions all hold
// applies and stops the level, unless it carries evaluate-other-rules.
import { formatPath } from './path.js';
import type { FactsByLevel } from './facts.js';
import { matchCondition } from './match-condition.js';
import type { Action, Level, Rule } from './types.js';

export interface AppliedRule {
  id: string;
  name: string;
  actions: readonly Action[];
}

export type TraceEntry =
  | { id: string; name: string; outcome: 'matched' }
  | { id: string; name: string; outcome: 'not-matched'; reason: string }
  | { id: string; name: string; outcome: 'skipped'; reason: 'disabled' | 'not reached' | 'scan skipped' };

export interface LevelOutcome {
  applied: AppliedRule[];
  /** One entry per rule of this level, in listed order. */
  trace: TraceEntry[];
}

/** Rules of other levels in the list are ignored, so a layer's whole rule set can be passed. */
export function evaluateLevel<L extends Level>(rules: readonly Rule[], level: L, facts: FactsByLevel[L]): LevelOutcome {
  const outcome: LevelOutcome = { applied: [], trace: [] };
  let stopped = false;
  for (const rule of rules) {
    if (rule.level !== level) continue;
    const { id, name } = rule;
    if (stopped) outcome.trace.push({ id, name, outcome: 'skipped', reason: 'not reached' });
    else if (!rule.enabled) outcome.trace.push({ id, name, outcome: 'skipped', reason: 'disabled' });
    else {
      const failure = firstFailure(rule, level, facts);
      if (failure !== undefined) outcome.trace.push({ id, name, outcome: 'not-matched', reason: failure });
      else {
        outcome.trace.push({ id, name, outcome: 'matched' });
        outcome.applied.push({ id, name, actions: rule.actions });
        stopped = !rule.actions.some((action) => action.type === 'evaluate-other-rules');
      }
    }
  }
  return outcome;
}

function firstFailure<L extends Level>(rule: Rule, level: L, facts: FactsByLevel[L]): string | undefined {
  for (const [index, condition] of rule.conditions.entries()) {
    const result = matchCondition(condition, level, facts);
    if (!result.holds) return `${formatPath(['conditions', index])}: ${result.reason}`;
  }
  return undefined;
}
