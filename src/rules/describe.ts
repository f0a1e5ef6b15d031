// Human-readable condition text for traces, e.g. `file-name glob "*.exe"`, `not (size < 100)`.
import type { FactValue } from './fields.js';
import { isAnyCondition, isNotCondition, type Condition, type ConditionValue } from './types.js';

export function describeCondition(condition: Condition): string {
  if (isAnyCondition(condition)) return `any of (${condition.any.map(describeCondition).join('; ')})`;
  if (isNotCondition(condition)) return `not (${describeCondition(condition.not)})`;
  const field = condition.headerName === undefined ? condition.field : `header ${condition.headerName}`;
  return `${field} ${condition.op} ${describeValue(condition.value)}`;
}

function describeValue(value: ConditionValue): string {
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export function describeFact(value: FactValue): string {
  if (Array.isArray(value)) return value.length === 0 ? 'nothing' : value.map((item: string) => JSON.stringify(item)).join(', ');
  return String(value);
}
