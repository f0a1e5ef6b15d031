// What happens to one message: the actions of the rules that applied at the three levels, combined.
import type { AppliedRule, LevelOutcome, Rule } from '../rules/index.js';
import type { MessageInspection, PartReport } from './message-inspection.js';

export interface PolicySettings {
  onError: 'pass' | 'block';
  subjectTag: string;
  markClean: boolean;
  /** The rule set of the protection layer doing the scan (rules.transport for the proxy). */
  rules: readonly Rule[];
}

export type Disposition =
  | { action: 'deliver'; mark: boolean }
  | { action: 'strip'; parts: PartReport[] }
  | { action: 'replace-message'; reason: string }
  | { action: 'block'; reason: string };

/** Changes rules ask for besides the disposition; applied to whole messages only (a part has no header). */
export interface RuleChanges {
  headers: { name: string; value: string }[];
  subjectTags: string[];
}

export type Decision = Disposition & {
  /** A quarantine action applied: keep a copy of the original even when it is delivered unchanged. */
  keepCopy: boolean;
  changes: RuleChanges;
  /** The filtering rule whose skip-scan kept the message from the engines. */
  scanSkippedBy?: { id: string; name: string };
};

export interface RuleOutcomes {
  filtering: LevelOutcome;
  /** Empty when the scan was skipped. */
  result: LevelOutcome;
}

export function decide(inspection: MessageInspection, outcomes: RuleOutcomes, settings: PolicySettings): Decision {
  const applied = [...outcomes.filtering.applied, ...inspection.parts.flatMap((part) => part.rules.applied), ...outcomes.result.applied];
  const extras = {
    keepCopy: applied.some((rule) => carries(rule, 'quarantine')),
    changes: {
      headers: applied.flatMap((rule) => rule.actions.flatMap((action) => (action.type === 'add-header' ? [{ name: action.name, value: action.value }] : []))),
      subjectTags: applied.flatMap((rule) => rule.actions.flatMap((action) => (action.type === 'tag-subject' ? [action.text] : []))),
    },
  };
  const skippedBy = outcomes.filtering.applied.find((rule) => carries(rule, 'skip-scan'));
  if (skippedBy) Object.assign(extras, { scanSkippedBy: { id: skippedBy.id, name: skippedBy.name } });
  return { ...disposition(inspection, applied, settings, skippedBy !== undefined), ...extras };
}

function disposition(inspection: MessageInspection, applied: readonly AppliedRule[], settings: PolicySettings, scanSkipped: boolean): Disposition {
  const replacing = applied.find((rule) => carries(rule, 'replace-message'));
  if (replacing) return { action: 'replace-message', reason: inspection.verdict === 'infected' ? 'a threat was found' : `the rule "${replacing.name}" applies to it` };
  const stripped = inspection.parts.filter((part) => part.rules.applied.some((rule) => carries(rule, 'delete-attachment')));
  if (stripped.length > 0) return { action: 'strip', parts: stripped };
  if (inspection.verdict === 'error' && settings.onError === 'block') return { action: 'block', reason: 'it could not be scanned' };
  return { action: 'deliver', mark: scanSkipped || inspection.verdict !== 'clean' || settings.markClean };
}

function carries(rule: AppliedRule, type: string): boolean {
  return rule.actions.some((action) => action.type === type);
}

/** The rule that removed a part, for its notice. */
export function removingRule(part: PartReport): AppliedRule | undefined {
  return part.rules.applied.find((rule) => carries(rule, 'delete-attachment'));
}

export function actionNames(decision: Decision): string[] {
  const names = decision.action === 'deliver' ? (decision.mark ? ['mark'] : []) : [decision.action];
  if (decision.scanSkippedBy) names.unshift('skip-scan');
  if (decision.keepCopy) names.push('quarantine');
  if (decision.changes.headers.length > 0) names.push('add-header');
  if (decision.changes.subjectTags.length > 0) names.push('tag-subject');
  return names;
}
