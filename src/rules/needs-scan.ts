// Attachment rules may skip a part's scan (skip-part-scan), so a part is looked at before it is scanned.
// Rules that test what the scan found mark how far that first look can go.
import { SCAN_RESULT_FIELDS } from './fields.js';
import { isAnyCondition, isNotCondition, type Condition, type Rule } from './types.js';

function needsScanResult(rule: Rule): boolean {
  return rule.conditions.some(testsScanResult);
}

function testsScanResult(condition: Condition): boolean {
  if (isAnyCondition(condition)) return condition.any.some(testsScanResult);
  if (isNotCondition(condition)) return testsScanResult(condition.not);
  return SCAN_RESULT_FIELDS.has(condition.field);
}

/**
 * The rules of the attachment level that can be decided before the part is scanned: the listed rules up
 * to the first enabled one that needs the scan result. Evaluating this prefix gives the same outcome as
 * the whole level for every rule in it, so a skip-part-scan found here holds.
 */
export function rulesBeforeScan(rules: readonly Rule[]): Rule[] {
  const level = rules.filter((rule) => rule.level === 'attachment');
  const barrier = level.findIndex((rule) => rule.enabled && needsScanResult(rule));
  return barrier === -1 ? level : level.slice(0, barrier);
}
