import { randomBytes } from 'node:crypto';

export const RULE_ID_PATTERN = /^r-[a-z0-9][a-z0-9-]{0,62}$/;

export function generateRuleId(): string {
  return `r-${randomBytes(4).toString('hex')}`;
}
