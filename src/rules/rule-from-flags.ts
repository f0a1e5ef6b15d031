// Builds a rule in its raw (YAML) form from the compact flags of `inboxguard rules add`.
// Only the shape is built here; parseRules validates and normalises it like any rule in the config.
//   --if 'FIELD OP VALUE'     e.g. 'extension in exe,scr'  'size > 10MB'  'header:X-Mailer contains Outlook'
//   --if FIELD                a boolean field alone means "is true", e.g. --if encrypted
//   --action NAME             e.g. delete-attachment, log
//   --action add-header=NAME:VALUE   --action tag-subject=TEXT
import { fieldSpec } from './fields.js';
import { RuleEditError, type RawEntry } from './rule-list-edits.js';
import { LEVELS, OPERATORS, type Level, type Operator } from './types.js';

export interface RuleFlags {
  name?: string;
  level?: string;
  if?: readonly string[];
  action?: readonly string[];
  disabled?: boolean;
}

export function ruleFromFlags(flags: RuleFlags): RawEntry {
  if (flags.name === undefined) throw new RuleEditError('--name is required (or give the whole rule with --file)');
  if (flags.level === undefined) throw new RuleEditError(`--level is required: ${LEVELS.join(', ')}`);
  const level = LEVELS.find((known) => known === flags.level);
  if (level === undefined) throw new RuleEditError(`--level ${flags.level}: expected one of ${LEVELS.join(', ')}`);
  const actions = flags.action ?? [];
  if (actions.length === 0) throw new RuleEditError('at least one --action is required, e.g. --action log');
  return {
    name: flags.name,
    level,
    enabled: !flags.disabled,
    conditions: (flags.if ?? []).map((text) => conditionFromFlag(text, level)),
    actions: actions.map(actionFromFlag),
  };
}

// Longest first, so "is-not" is not read as "is".
const OPERATOR_WORDS: readonly Operator[] = [...OPERATORS].sort((a, b) => b.length - a.length);

/** `FIELD OP VALUE` (VALUE comma-separated for `in`), or a boolean FIELD alone; `header:NAME` for a header. */
export function conditionFromFlag(text: string, level: Level): RawEntry {
  const trimmed = text.trim();
  const fieldMatch = /^(\S+)\s*/.exec(trimmed);
  if (!fieldMatch) throw new RuleEditError(`--if "${text}": expected FIELD OP VALUE, e.g. --if 'extension in exe,scr'`);
  const [fieldToken] = fieldMatch[1].split(/(?=[<>])/, 1);
  let rest = trimmed.slice(fieldToken.length).trim();
  const { field, name } = splitHeaderName(fieldToken);
  const condition: RawEntry = { field };
  if (name !== undefined) condition.name = name;
  if (rest === '') return condition;
  const op = OPERATOR_WORDS.find((word) => rest === word || rest.startsWith(/^[<>]$/.test(word) ? word : `${word} `));
  if (op === undefined) {
    throw new RuleEditError(`--if "${text}": expected FIELD OP VALUE with OP one of ${OPERATORS.join(', ')}`);
  }
  rest = rest.slice(op.length).trim();
  if (rest === '') throw new RuleEditError(`--if "${text}": the value is missing after "${op}"`);
  condition.op = op;
  condition.value = op === 'in' ? rest.split(',').map((item) => unquote(item.trim())).filter((item) => item !== '') : valueFor(unquote(rest), field, level);
  return condition;
}

function splitHeaderName(token: string): { field: string; name?: string } {
  const colon = token.indexOf(':');
  if (colon <= 0) return { field: token };
  return { field: token.slice(0, colon), name: token.slice(colon + 1) };
}

/** Booleans become true/false; everything else stays text (sizes such as "10MB" are parsed by parseRules). */
function valueFor(text: string, field: string, level: Level): string | boolean {
  if (fieldSpec(level, field)?.type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function unquote(text: string): string {
  return text.length >= 2 && (text[0] === '"' || text[0] === "'") && text.at(-1) === text[0] ? text.slice(1, -1) : text;
}

/** `NAME`, `add-header=NAME:VALUE` or `tag-subject=TEXT`; unknown names are left for parseRules to report. */
export function actionFromFlag(text: string): unknown {
  const equals = text.indexOf('=');
  if (equals < 0) return text.trim();
  const type = text.slice(0, equals).trim();
  const argument = text.slice(equals + 1);
  if (type === 'tag-subject') return { 'tag-subject': argument };
  if (type === 'add-header') {
    const colon = argument.indexOf(':');
    if (colon <= 0) throw new RuleEditError(`--action "${text}": expected add-header=NAME:VALUE, e.g. add-header=X-Checked:yes`);
    return { 'add-header': { name: argument.slice(0, colon).trim(), value: argument.slice(colon + 1).trim() } };
  }
  throw new RuleEditError(`--action "${text}": only add-header=NAME:VALUE and tag-subject=TEXT take a value`);
}
