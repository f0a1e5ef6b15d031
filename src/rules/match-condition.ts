// Decides whether one condition holds for the facts of its level, and says why not when it does not.
import { describeCondition, describeFact } from './describe.js';
import { fieldSpec, type FactValue, type FieldType } from './fields.js';
import type { FactsByLevel } from './facts.js';
import { boundFact, MAX_NAME_CHARS, MAX_TEXT_FACT_CHARS } from './fact-bounds.js';
import { compileGlob } from './glob.js';
import { ipMatches } from './ip.js';
import { compileUserRegex } from './pattern.js';
import { isAnyCondition, isNotCondition, type Condition, type FieldCondition, type Level } from './types.js';

export type ConditionOutcome = { holds: true } | { holds: false; reason: string };

const HOLDS: ConditionOutcome = { holds: true };

export function matchCondition<L extends Level>(condition: Condition, level: L, facts: FactsByLevel[L]): ConditionOutcome {
  if (isAnyCondition(condition)) {
    if (condition.any.some((inner) => matchCondition(inner, level, facts).holds)) return HOLDS;
    return { holds: false, reason: `none of ${describeCondition(condition)} held` };
  }
  if (isNotCondition(condition)) {
    if (!matchCondition(condition.not, level, facts).holds) return HOLDS;
    return { holds: false, reason: `${describeCondition(condition.not)} held, so ${describeCondition(condition)} did not` };
  }
  const spec = fieldSpec(level, condition.field);
  // parseRules guarantees the field exists at the level; a hand-built rule that breaks this simply fails.
  if (!spec) return { holds: false, reason: `${condition.field} is not a ${level}-level field` };
  const fact = spec.read(facts, condition.headerName);
  if (fieldHolds(condition, spec.type, fact)) return HOLDS;
  return { holds: false, reason: `${describeCondition(condition)} did not hold (found ${describeFact(fact)})` };
}

function fieldHolds(condition: FieldCondition, type: FieldType, fact: FactValue): boolean {
  const { op, value } = condition;
  if (typeof fact === 'number') {
    if (typeof value !== 'number') return false;
    if (op === '>') return fact > value;
    if (op === '<') return fact < value;
    return op === 'is' ? fact === value : op === 'is-not' ? fact !== value : false;
  }
  if (typeof fact === 'boolean') return op === 'is-not' ? fact !== value : op === 'is' && fact === value;
  const max = condition.field === 'file-name' || type === 'extension' ? MAX_NAME_CHARS : MAX_TEXT_FACT_CHARS;
  const texts = fact.map((text) => boundFact(text, max));
  if (op === 'is-not') return !texts.some((text) => textHolds({ ...condition, op: 'is' }, type, text));
  return texts.some((text) => textHolds(condition, type, text));
}

function textHolds(condition: FieldCondition, type: FieldType, text: string): boolean {
  const { op, value, caseSensitive } = condition;
  const wanted = Array.isArray(value) ? value : [String(value)];
  if (type === 'ip') return ipMatches(text, wanted);
  const fold = (input: string) => (caseSensitive ? input : input.toLowerCase());
  switch (op) {
    case 'is':
    case 'in':
      return wanted.some((item) => fold(item) === fold(text));
    case 'contains':
      return fold(text).includes(fold(wanted[0]));
    case 'matches':
      return compiled(condition, () => compileUserRegex(wanted[0], caseSensitive)).test(text);
    case 'glob':
      return compiled(condition, () => compileGlob(wanted[0], caseSensitive)).test(text);
    default:
      return false;
  }
}

interface Pattern {
  test(text: string): boolean;
}

const patterns = new WeakMap<FieldCondition, Pattern>();

function compiled(condition: FieldCondition, compile: () => Pattern): Pattern {
  let pattern = patterns.get(condition);
  if (!pattern) {
    pattern = compile();
    patterns.set(condition, pattern);
  }
  return pattern;
}
