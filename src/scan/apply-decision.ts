import { addHeader, readTopHeader, replaceMessage, tagSubject } from '../mime/index.js';
import type { BodyShape } from './body-shape.js';
import { messageNotice, partNotice } from './notice.js';
import type { Decision } from './policy.js';

export interface Rewritten {
  bytes: Buffer;
  sizePreserved: boolean;
}

export interface Marking {
  /** X-InboxGuard header value, e.g. "infected; engine=builtin,clamd; version=0.1.0". */
  header: string;
  subjectTag: string;
}

/** Produces the bytes to deliver for a decision that changes the message (not plain delivery). */
export function applyDecision(original: Buffer, shape: BodyShape, decision: Exclude<Decision, { action: 'deliver' }>, marking: Marking, quarantineId: string | undefined, detections: string[]): Rewritten {
  if (decision.action === 'strip') {
    const removals = decision.parts.map((part) => ({ partPath: part.path, notice: partNotice(part, quarantineId) }));
    if (!shape.canMark) return shape.strip(removals, 0);
    // The notice padding absorbs what the header and the subject tag add, so the size can stay the same.
    // Marking only touches the header block, so marking that block alone measures the growth.
    const header = original.subarray(0, readTopHeader(original).bodyStart);
    const growth = markMessage(header, marking).length - header.length;
    const stripped = shape.strip(removals, growth);
    const marked = markMessage(stripped.bytes, marking);
    return { bytes: marked, sizePreserved: marked.length === original.length };
  }
  const notice = messageNotice(decision.reason, detections, quarantineId);
  if (shape.kind !== 'message') return shape.strip(shape.walk.parts.map((part) => ({ partPath: part.path, notice })), 0);
  const replaced = addHeader(replaceMessage(original, notice), 'X-InboxGuard', marking.header);
  return { bytes: replaced, sizePreserved: replaced.length === original.length };
}

/** Adds the X-InboxGuard header (and the subject tag when given) to a whole message. */
export function markMessage(message: Buffer, marking: Marking, tag = true): Buffer {
  const tagged = tag && marking.subjectTag ? tagSubject(message, marking.subjectTag) : message;
  return addHeader(tagged, 'X-InboxGuard', marking.header);
}
