import type { NoticeLadder } from '../mime/index.js';
import type { PartReport } from './message-inspection.js';
import { removingRule } from './policy.js';

/**
 * The text that stands where a removed part was, in three lengths: the rewrite takes the longest that
 * fits in the part's bytes (a client may already know the message's size; the size wins).
 */
export function partNotices(part: PartReport, quarantineId: string | undefined): NoticeLadder {
  const what = removalReason(part);
  return {
    full: [
      `inboxguard removed "${part.fileName ?? `part ${part.path}`}": ${what}.`,
      ...(quarantineId ? [`Original kept in quarantine as ${quarantineId}.`] : []),
      '',
    ].join('\n'),
    short: quarantineId ? `inboxguard removed this part: ${what}. Quarantine: ${quarantineId}` : `inboxguard removed this part: ${what}.`,
    minimal: minimalNotice('Removed', quarantineId),
  };
}

export function partNotice(part: PartReport, quarantineId: string | undefined): string {
  return partNotices(part, quarantineId).full;
}

function removalReason(part: PartReport): string {
  const detection = part.findings.find((finding) => finding.kind === 'signature' || finding.kind === 'limit');
  const rule = removingRule(part);
  if (detection) return `${detection.name} (${detection.engine})`;
  if (rule) return `rule "${rule.name}"`;
  return part.findings[0] ? `${part.findings[0].name} (${part.findings[0].engine})` : part.verdict;
}

/** One ASCII line: what the smallest replacement says. */
function minimalNotice(verb: string, quarantineId: string | undefined): string {
  return quarantineId ? `${verb} by inboxguard: ${quarantineId}` : `${verb} by inboxguard.`;
}

export function messageNotices(reason: string, detections: string[], quarantineId: string | undefined): NoticeLadder {
  return {
    full: [
      `inboxguard withheld this message because ${reason}.`,
      ...(detections.length > 0 ? [`Detections: ${detections.join(', ')}.`] : []),
      quarantineId ? `The original is kept in the local quarantine as ${quarantineId} (inboxguard quarantine show ${quarantineId}).` : 'The original is still on the mail server; inboxguard never changes it.',
      '',
    ].join('\n'),
    short: quarantineId ? `inboxguard withheld this message because ${reason}. Quarantine: ${quarantineId}` : `inboxguard withheld this message because ${reason}.`,
    minimal: minimalNotice('Withheld', quarantineId),
  };
}

export function messageNotice(reason: string, detections: string[], quarantineId: string | undefined): string {
  return messageNotices(reason, detections, quarantineId).full;
}
