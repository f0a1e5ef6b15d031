// The parsed, validated form of a rule. Produced by parseRules from the YAML shape; evaluated by evaluateLevel.
export const LEVELS = ['filtering', 'attachment', 'result'] as const;
export type Level = (typeof LEVELS)[number];

export const OPERATORS = ['is', 'is-not', 'contains', 'matches', 'glob', 'in', '>', '<'] as const;
export type Operator = (typeof OPERATORS)[number];

export type ConditionValue = string | number | boolean | readonly string[];

export interface FieldCondition {
  field: string;
  op: Operator;
  /** Normalised: sizes in bytes, extensions without the dot and lower case, `in` always a list. */
  value: ConditionValue;
  /** Header name for the `header` field, lower case. */
  headerName?: string;
  caseSensitive: boolean;
}

export interface AnyCondition {
  any: readonly Condition[];
}

export interface NotCondition {
  not: Condition;
}

export type Condition = FieldCondition | AnyCondition | NotCondition;

export type Action =
  | { type: 'log' }
  | { type: 'skip-scan' }
  | { type: 'skip-part-scan' }
  | { type: 'delete-attachment' }
  | { type: 'replace-message' }
  | { type: 'quarantine' }
  | { type: 'evaluate-other-rules' }
  | { type: 'add-header'; name: string; value: string }
  | { type: 'tag-subject'; text: string };

export type ActionType = Action['type'];

export interface Rule {
  id: string;
  name: string;
  level: Level;
  enabled: boolean;
  conditions: readonly Condition[];
  actions: readonly Action[];
}

export function isAnyCondition(condition: Condition): condition is AnyCondition {
  return 'any' in condition;
}

export function isNotCondition(condition: Condition): condition is NotCondition {
  return 'not' in condition;
}
