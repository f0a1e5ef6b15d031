// What one session of an account scanned and decided is shared with the account's other sessions
// (AccountScannedCopies) only while no transport rule tests a fact that differs between them: the
// listener, the client application, the server's address. Decided once per configuration object.
import type { Config } from '../config/schema.js';
import { ensureIds, parseRules, rulesReadField } from '../rules/index.js';

const PER_SESSION_FIELDS = ['listener', 'application', 'upstream-ip'];

const decided = new WeakMap<object, boolean>();

export function sessionFactsRead(config: Pick<Config, 'rules'>): boolean {
  let read = decided.get(config);
  if (read === undefined) {
    read = transportRulesRead(config);
    decided.set(config, read);
  }
  return read;
}

function transportRulesRead(config: Pick<Config, 'rules'>): boolean {
  try {
    const rules = parseRules(ensureIds(config.rules.transport).rules, 'rules.transport');
    return PER_SESSION_FIELDS.some((field) => rulesReadField(rules, 'filtering', field));
  } catch {
    return true; // a validated configuration parses; if not, sharing nothing is the safe side
  }
}
