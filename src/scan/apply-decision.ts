import { addHeader, readTopHeader, replaceMessage, tagSubject } from '../mime/index.js';
import type { BodyShape } from './body-shape.js';
import { messageNotice, partNotice } from './notice.js';
import type { Disposition, RuleChanges } from './policy.js';

export interface Rewritten {
  bytes: Buffer;
  sizePreserved: boolean;
}

/** What goes into the header block of a delivered whole message. */
export interface Marking {
  /** X-InboxGuard header value, e.g. "infected; engine=builtin,clamd; version=0.1.0" (package.json's); none for an unmarked delivery. */
  header?: string;
  /** Subject tags, in the order they are applied (the last ends up first). */
  subjectTags: string[];
  /** Header fields asked for by rules. */
  headers: RuleChanges['headers'];
}

export const NO_MARKING: Marking = { subjectTags: [], headers: [] };

export function marksAnything(marking: Marking): boolean {
  return marking.header !== undefined || marking.subjectTags.length > 0 || marking.headers.length > 0;
}

/** Produces the bytes to deliver for a disposition that changes the content (not plain delivery). */
export function applyDecision(original: Buffer, shape: BodyShape, decision: Exclude<Disposition, { action: 'deliver' }>, marking: Marking, quarantineId: string | undefined, detections: string[]): Rewritten {
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
  const replaced = markMessage(replaceMessage(original, notice), marking);
  return { bytes: replaced, sizePreserved: replaced.length === original.length };
}

/** Adds the subject tags, the rules' header fields and the X-InboxGuard header to a whole message. */
export function markMessage(message: Buffer, marking: Marking): Buffer {
  let marked = message;
  for (const tag of marking.subjectTags) if (tag) marked = tagSubject(marked, tag);
  for (const { name, value } of marking.headers) marked = addHeader(marked, name, value);
  return marking.header === undefined ? marked : addHeader(marked, 'X-InboxGuard', marking.header);
}
