// The YAML shape of a rule, checked with zod. Level-dependent checks (fields, operators, values, actions)
// follow in validate-rule.ts, which also turns this raw shape into a Rule.
import { z } from 'zod';
import { BARE_ACTIONS } from './actions.js';
import { RULE_ID_PATTERN } from './rule-id.js';
import { LEVELS, OPERATORS, type Operator } from './types.js';

export interface RawFieldCondition {
  field: string;
  op?: Operator;
  value?: unknown;
  /** Header name, for the `header` field. */
  name?: string;
  'case-sensitive'?: boolean;
}
export interface RawAnyCondition {
  any: RawCondition[];
}
export interface RawNotCondition {
  not: RawCondition;
}
export type RawCondition = RawFieldCondition | RawAnyCondition | RawNotCondition;

export type RawAction = (typeof BARE_ACTIONS)[number] | { 'add-header': { name: string; value: string } } | { 'tag-subject': string };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Picks the schema by the keys present instead of using z.union, whose failure says only "invalid input";
 * this way the user sees what is wrong with the form they meant.
 */
function keyed<T>(pick: (value: unknown) => z.ZodType<T>): z.ZodType<T, unknown> {
  return z.unknown().transform((value, ctx): T => {
    const result = pick(value).safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issueMessage(issue), path: issue.path });
    return z.NEVER;
  });
}

export function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return 'missing';
  return issue.message;
}

const fieldConditionSchema = z
  .object({
    field: z.string().min(1),
    op: z.enum(OPERATORS).optional(),
    value: z.unknown().optional(),
    name: z.string().min(1).optional(),
    'case-sensitive': z.boolean().optional(),
  })
  .strict();

const conditionSchema: z.ZodType<RawCondition, unknown> = z.lazy(() =>
  keyed<RawCondition>((value) => {
    if (isRecord(value) && 'any' in value) return anyConditionSchema;
    if (isRecord(value) && 'not' in value) return notConditionSchema;
    if (isRecord(value)) return fieldConditionSchema;
    return z.never({ error: 'expected a condition: { field, op, value }, { any: [...] } or { not: ... }' });
  }),
);

const anyConditionSchema = z.object({ any: z.array(conditionSchema).min(1, 'an any: group needs at least one condition') }).strict();
const notConditionSchema = z.object({ not: conditionSchema }).strict();

const headerLine = (what: string) => z.string().refine((text) => !/[\r\n]/.test(text), `${what} must be on one line`);

const actionSchema: z.ZodType<RawAction, unknown> = keyed<RawAction>((value) => {
  if (isRecord(value) && 'add-header' in value)
    return z
      .object({
        'add-header': z
          .object({ name: z.string().regex(/^[!-9;-~]+$/, 'not a valid header name'), value: headerLine('the header value') })
          .strict(),
      })
      .strict();
  if (isRecord(value) && 'tag-subject' in value) return z.object({ 'tag-subject': headerLine('the subject tag').pipe(z.string().min(1)) }).strict();
  return z.enum(BARE_ACTIONS, { error: `unknown action (known: ${[...BARE_ACTIONS, 'add-header', 'tag-subject'].join(', ')})` });
});

export const ruleSchema = z
  .object({
    id: z.string().regex(RULE_ID_PATTERN, 'expected "r-" followed by lower-case letters, digits or "-"').optional(),
    name: z.string().trim().min(1, 'a rule needs a name'),
    level: z.enum(LEVELS, { error: `expected one of ${LEVELS.join(', ')}` }),
    enabled: z.boolean().default(true),
    conditions: z.array(conditionSchema).default([]),
    actions: z.array(actionSchema).min(1, 'a rule needs at least one action'),
  })
  .strict();

export type RawRule = z.output<typeof ruleSchema>;
