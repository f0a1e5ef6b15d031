import type { PartReport } from './message-inspection.js';
import { removingRule } from './policy.js';

/** The text that stands where a removed part was. Short, so that it fits inside small attachments. */
export function partNotice(part: PartReport, quarantineId: string | undefined): string {
  const detection = part.findings.find((finding) => finding.kind === 'signature' || finding.kind === 'limit');
  const rule = removingRule(part);
  const what = detection ? `${detection.name} (${detection.engine})` : rule ? `rule "${rule.name}"` : part.findings[0] ? `${part.findings[0].name} (${part.findings[0].engine})` : part.verdict;
  return [
    `inboxguard removed "${part.fileName ?? `part ${part.path}`}": ${what}.`,
    ...(quarantineId ? [`Original kept in quarantine as ${quarantineId}.`] : []),
    '',
  ].join('\n');
}

export function messageNotice(reason: string, detections: string[], quarantineId: string | undefined): string {
  return [
    `inboxguard withheld this message because ${reason}.`,
    ...(detections.length > 0 ? [`Detections: ${detections.join(', ')}.`] : []),
    quarantineId ? `The original is kept in the local quarantine as ${quarantineId} (inboxguard quarantine show ${quarantineId}).` : 'The original is still on the mail server; inboxguard never changes it.',
    '',
  ].join('\n');
}
