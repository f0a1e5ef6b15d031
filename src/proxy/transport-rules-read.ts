// Whether an enabled filtering rule of rules.transport tests one of some fields: what the proxy gathers
// per connection (application-needed.ts) and shares between connections (session-facts-read.ts) depends on it.
import type { Config } from '../config/schema.js';
import { ensureIds, parseRules, rulesReadField } from '../rules/index.js';

export function transportRulesRead(config: Pick<Config, 'rules'>, fields: readonly string[]): boolean {
  try {
    const rules = parseRules(ensureIds(config.rules.transport).rules, 'rules.transport');
    return fields.some((field) => rulesReadField(rules, 'filtering', field));
  } catch {
    // A validated configuration parses; if not, "yes" is the answer that decides nothing wrongly
    // (the lookup costs time, sharing nothing costs scans).
    return true;
  }
}
