// Validates a rule list from the config and reports the first problem on one line that names the rule.
import { ruleSchema, issueMessage } from './schema.js';
import type { Rule } from './types.js';
import { formatPath } from './path.js';
import { RuleProblem, validateRule } from './validate-rule.js';

export class RuleError extends Error {
  override name = 'RuleError';

  /** Position of the offending rule in its list, when the problem is inside one rule. */
  constructor(
    message: string,
    readonly index?: number,
  ) {
    super(message);
  }
}

/** `where` names the list in messages, e.g. "rules.transport". Every rule must have an id (see ensureIds). */
export function parseRules(raw: unknown, where: string): Rule[] {
  if (!Array.isArray(raw)) throw new RuleError(`${where}: expected a list of rules`);
  const ids = new Map<string, number>();
  return raw.map((entry: unknown, index) => {
    const label = ruleLabel(where, index, entry);
    const parsed = ruleSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RuleError(`${label}: ${located(issue.path, issueMessage(issue))}`, index);
    }
    const { id } = parsed.data;
    if (id === undefined) throw new RuleError(`${label}: id: missing (ids are added by ensureIds when the rules are loaded)`, index);
    const earlier = ids.get(id);
    if (earlier !== undefined) throw new RuleError(`${label}: id: "${id}" is already used by ${where}[${earlier}]`, index);
    ids.set(id, index);
    try {
      return validateRule({ ...parsed.data, id });
    } catch (error) {
      if (error instanceof RuleProblem) throw new RuleError(`${label}: ${located(error.path, error.message)}`, index);
      throw error;
    }
  });
}

function ruleLabel(where: string, index: number, entry: unknown): string {
  const name = typeof entry === 'object' && entry !== null && 'name' in entry && typeof entry.name === 'string' ? ` ${JSON.stringify(entry.name)}` : '';
  return `${where}[${index}]${name}`;
}

function located(path: readonly PropertyKey[], message: string): string {
  const text = formatPath(path.filter((key): key is string | number => typeof key !== 'symbol'));
  return `${text ? `${text}: ` : ''}${message.replace(/\s*\n\s*/g, ' ')}`;
}

