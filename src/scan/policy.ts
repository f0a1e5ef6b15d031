import type { MessageInspection, PartReport } from './inspect-message.js';
import type { Verdict } from './types.js';

export interface PolicySettings {
  infected: 'strip' | 'replace-message' | 'log-only';
  onError: 'pass' | 'block';
  subjectTag: string;
  markClean: boolean;
}

/**
 * What happens to one message by default (before user rules exist): strip infected parts and
 * archives that broke a limit, deliver everything else, marked with a header when it is not clean.
 */
export type Decision =
  | { action: 'deliver'; mark: boolean }
  | { action: 'strip'; parts: PartReport[] }
  | { action: 'replace-message'; reason: string }
  | { action: 'block'; reason: string };

const STRIPPED_BY_DEFAULT = new Set<Verdict>(['archive-limit']);

export function decide(inspection: MessageInspection, settings: PolicySettings): Decision {
  const infected = inspection.verdict === 'infected';
  if (infected && settings.infected === 'log-only') return { action: 'deliver', mark: false };
  if (infected && settings.infected === 'replace-message') return { action: 'replace-message', reason: 'a threat was found' };
  const stripped = inspection.parts.filter((part) => STRIPPED_BY_DEFAULT.has(part.verdict) || (part.verdict === 'infected' && settings.infected === 'strip'));
  if (stripped.length > 0) return { action: 'strip', parts: stripped };
  if (inspection.verdict === 'error' && settings.onError === 'block') return { action: 'block', reason: 'it could not be scanned' };
  return { action: 'deliver', mark: inspection.verdict !== 'clean' || settings.markClean };
}

export function actionNames(decision: Decision): string[] {
  if (decision.action === 'deliver') return decision.mark ? ['mark'] : [];
  return [decision.action];
}
