// Whether any enabled rule tests a field: facts that are costly to gather (the client application)
// are gathered only when some rule will read them.
import { isAnyCondition, isNotCondition, type Condition, type Level, type Rule } from './types.js';

function testsField(condition: Condition, field: string): boolean {
  if (isAnyCondition(condition)) return condition.any.some((inner) => testsField(inner, field));
  if (isNotCondition(condition)) return testsField(condition.not, field);
  return condition.field === field;
}

export function rulesReadField(rules: readonly Rule[], level: Level, field: string): boolean {
  return rules.some((rule) => rule.enabled && rule.level === level && rule.conditions.some((condition) => testsField(condition, field)));
}
