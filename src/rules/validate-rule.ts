// Level-dependent checks on a rule that already has the right shape, and normalisation into a Rule.
import { ACTION_LEVELS } from './actions.js';
import { fieldSpec, levelsHavingField, FIELDS, type FieldSpec, type FieldType } from './fields.js';
import { compileGlob } from './glob.js';
import { isValidIpOrCidr } from './ip.js';
import { OPERATORS_BY_TYPE } from './operators.js';
import { compileUserRegex } from './pattern.js';
import type { RawAction, RawCondition, RawFieldCondition, RawRule } from './schema.js';
import type { Path } from './path.js';
import { parseSize } from './size.js';
import type { Action, Condition, ConditionValue, FieldCondition, Level, Operator, Rule } from './types.js';

/** A problem at a path inside one rule. */
export class RuleProblem extends Error {
  constructor(
    readonly path: Path,
    message: string,
  ) {
    super(message);
  }
}

export function validateRule(raw: RawRule & { id: string }): Rule {
  return {
    id: raw.id,
    name: raw.name,
    level: raw.level,
    enabled: raw.enabled,
    conditions: raw.conditions.map((condition, index) => validateCondition(condition, raw.level, ['conditions', index])),
    actions: validateActions(raw.actions, raw.level),
  };
}

function validateCondition(raw: RawCondition, level: Level, path: Path): Condition {
  if ('any' in raw) return { any: raw.any.map((inner, index) => validateCondition(inner, level, [...path, 'any', index])) };
  if ('not' in raw) return { not: validateCondition(raw.not, level, [...path, 'not']) };
  return validateFieldCondition(raw, level, path);
}

function validateFieldCondition(raw: RawFieldCondition, level: Level, path: Path): FieldCondition {
  const spec: FieldSpec<unknown> | undefined = fieldSpec(level, raw.field);
  if (!spec) {
    const elsewhere = levelsHavingField(raw.field);
    const hint = elsewhere.length > 0 ? `a ${elsewhere.join('/')}-level field` : `known: ${Object.keys(FIELDS[level]).join(', ')}`;
    throw new RuleProblem([...path, 'field'], `unknown field "${raw.field}" at level ${level} (${hint})`);
  }
  const op = raw.op ?? (spec.type === 'boolean' ? 'is' : undefined);
  if (op === undefined) throw new RuleProblem([...path, 'op'], `missing (for ${raw.field}: ${OPERATORS_BY_TYPE[spec.type].join(', ')})`);
  if (!OPERATORS_BY_TYPE[spec.type].includes(op)) {
    throw new RuleProblem([...path, 'op'], `"${op}" does not apply to ${raw.field} (use ${OPERATORS_BY_TYPE[spec.type].join(', ')})`);
  }
  if (spec.needsHeaderName && raw.name === undefined) throw new RuleProblem([...path, 'name'], 'the header field needs the header name, e.g. name: X-Mailer');
  if (!spec.needsHeaderName && raw.name !== undefined) throw new RuleProblem([...path, 'name'], `only the header field takes a name, not ${raw.field}`);
  const caseSensitive = raw['case-sensitive'] ?? false;
  const condition: FieldCondition = { field: raw.field, op, value: normaliseValue(raw.value, op, spec, caseSensitive, [...path, 'value']), caseSensitive };
  if (raw.name !== undefined) condition.headerName = raw.name.toLowerCase();
  return condition;
}

function normaliseValue(value: unknown, op: Operator, spec: FieldSpec<unknown>, caseSensitive: boolean, path: Path): ConditionValue {
  if (spec.type === 'boolean') {
    if (value === undefined) return true;
    if (typeof value !== 'boolean') throw new RuleProblem(path, 'expected true or false');
    return value;
  }
  if (value === undefined) throw new RuleProblem(path, 'missing');
  if (spec.type === 'size') {
    const bytes = typeof value === 'number' || typeof value === 'string' ? parseSize(value) : undefined;
    if (bytes === undefined) throw new RuleProblem(path, `expected a size such as 1048576 or "10MB", got ${JSON.stringify(value)}`);
    return bytes;
  }
  if (op === 'in') {
    if (!Array.isArray(value) || value.length === 0) throw new RuleProblem(path, 'in takes a non-empty list, e.g. [a, b]');
    return value.map((item: unknown, index) => normaliseText(item, op, spec.type, spec.values, caseSensitive, [...path, index]));
  }
  return normaliseText(value, op, spec.type, spec.values, caseSensitive, path);
}

function normaliseText(value: unknown, op: Operator, type: FieldType, values: readonly string[] | undefined, caseSensitive: boolean, path: Path): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw new RuleProblem(path, `expected a text, got ${JSON.stringify(value)}`);
  const text = String(value);
  if (op === 'matches') {
    try {
      compileUserRegex(text, caseSensitive);
    } catch (error) {
      // RE2 syntax: no backreferences (\1) and no lookaround ((?=…), (?!…), (?<=…), (?<!…)).
      throw new RuleProblem(path, `bad regular expression ${JSON.stringify(text)} (RE2 syntax, no backreferences or lookaround): ${(error as Error).message}`);
    }
    return text;
  }
  if (op === 'glob') {
    try {
      compileGlob(text, caseSensitive);
    } catch {
      throw new RuleProblem(path, `bad glob pattern ${JSON.stringify(text)}`);
    }
    return text;
  }
  if (values) {
    if (!values.includes(text.toLowerCase())) throw new RuleProblem(path, `"${text}" is not one of ${values.join(', ')}`);
    return text.toLowerCase();
  }
  if (type === 'ip' && !isValidIpOrCidr(text)) throw new RuleProblem(path, `bad IP address or CIDR block "${text}"`);
  if (type === 'extension') return text.replace(/^\./, '').toLowerCase();
  return text;
}

function validateActions(raw: readonly RawAction[], level: Level): Action[] {
  const seen = new Set<string>();
  return raw.map((rawAction, index) => {
    const action = toAction(rawAction);
    if (!ACTION_LEVELS[action.type].includes(level)) {
      throw new RuleProblem(['actions', index], `${action.type} is not allowed at level ${level} (only ${ACTION_LEVELS[action.type].join(', ')})`);
    }
    const key = action.type === 'add-header' ? `${action.type}:${action.name.toLowerCase()}` : action.type;
    if (seen.has(key)) throw new RuleProblem(['actions', index], `${action.type} is listed twice`);
    seen.add(key);
    return action;
  });
}

function toAction(raw: RawAction): Action {
  if (typeof raw === 'string') return { type: raw };
  if ('add-header' in raw) return { type: 'add-header', name: raw['add-header'].name, value: raw['add-header'].value };
  return { type: 'tag-subject', text: raw['tag-subject'] };
}
