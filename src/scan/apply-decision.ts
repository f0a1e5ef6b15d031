import { addHeader, readTopHeader, replaceMessageKeepingSize, tagSubject, type NoticeForm, type NoticeLadder, type RewriteResult } from '../mime/index.js';
import type { BodyShape } from './body-shape.js';
import { messageNotices, partNotices } from './notice.js';
import type { Disposition, RuleChanges } from './policy.js';

export interface Rewritten {
  bytes: Buffer;
  sizePreserved: boolean;
  /** What was left out so that the client receives exactly the size it may already know. */
  decorationDropped?: DecorationDropped;
}

/** For the event log: the decoration a delivery lacks, and why. */
export interface DecorationDropped {
  /** Decorations left out entirely, e.g. `subject tag "[inboxguard: attachment removed]"`, `header X-InboxGuard`. */
  dropped: string[];
  /** The smallest notice form used when it is not the full notice (short, minimal, bare). */
  notice?: Exclude<NoticeForm, 'full'>;
  reason: string;
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

export function marksAnything(marking: Marking): boolean {
  return marking.header !== undefined || marking.subjectTags.length > 0 || marking.headers.length > 0;
}

type Allocate = (length: number) => Buffer;

/**
 * Produces the bytes to deliver for a disposition that changes the content (not plain delivery). The
 * result has the original's exact size: a client may have learned it (RFC822.SIZE, POP3 LIST) before the
 * body and read only that many bytes. Decoration yields first, in steps: the short notice, then no subject
 * tag, then no rule headers, then no X-InboxGuard header; only then the notice shrinks to a minimal and
 * finally a bare part (an empty header and what fits of one line, or padding alone), which fits any part.
 *
 * `allocate`: where the delivered bytes are written (a scan worker gives memory it transfers with its reply). A whole message is
 * rendered once, behind room for its marking, and the marked header block is then written in front of it.
 */
export function applyDecision(
  original: Buffer,
  shape: BodyShape,
  decision: Exclude<Disposition, { action: 'deliver' }>,
  marking: Marking,
  quarantineId: string | undefined,
  detections: string[],
  allocate: Allocate = Buffer.allocUnsafe,
): Rewritten {
  let render: (reserveBytes: number, into: Allocate) => RewriteResult;
  if (decision.action === 'strip') {
    const removals = decision.parts.map((part) => removal(part.path, partNotices(part, quarantineId)));
    render = (reserveBytes, into) => shape.strip(removals, reserveBytes, into);
  } else {
    const notices = messageNotices(decision.reason, detections, quarantineId);
    render =
      shape.kind === 'message'
        ? (reserveBytes, into) => replaceMessageKeepingSize(original, notices, reserveBytes, into)
        : (_reserveBytes, into) => shape.strip(shape.walk.parts.map((part) => removal(part.path, notices)), 0, into);
  }
  if (!shape.canMark) return withDrops(render(0, allocate), [], original.length);
  const steps = decorationSteps(marking);
  for (const [index, step] of steps.entries()) {
    // Marking only touches the header block, so marking that block alone measures the growth.
    const growth = markingGrowth(original, step.marking);
    let whole: Buffer | undefined;
    const rendered = render(growth, (length) => (whole = allocate(growth + length)).subarray(growth));
    const last = index === steps.length - 1;
    if (!last && !(rendered.sizePreserved && (rendered.noticeForms ?? []).every(isNamed))) continue;
    const marked = markedInFront(rendered.bytes, step.marking, whole, growth) ?? markMessage(rendered.bytes, step.marking, allocate);
    return withDrops({ ...rendered, bytes: marked, sizePreserved: marked.length === original.length }, step.dropped, original.length);
  }
  throw new Error('unreachable: the last step always returns');
}

/**
 * The marked message when `rendered` was written `growth` bytes into `whole` and its marked header block
 * is exactly that much longer: then only the header block is written, over the room left in front.
 * Undefined when the rendering did not land there (nothing was removed) or the growth differs.
 */
function markedInFront(rendered: Buffer, marking: Marking, whole: Buffer | undefined, growth: number): Buffer | undefined {
  if (whole === undefined || rendered.buffer !== whole.buffer || rendered.byteOffset !== whole.byteOffset + growth || whole.length !== growth + rendered.length) return undefined;
  const { bodyStart } = readTopHeader(rendered);
  const header = markHeader(rendered.subarray(0, bodyStart), marking);
  if (header.length !== bodyStart + growth) return undefined;
  header.copy(whole, 0);
  return whole;
}

function removal(partPath: string, notices: NoticeLadder) {
  return { partPath, notice: notices.full, shortNotice: notices.short, minimalNotice: notices.minimal };
}

function isNamed(form: NoticeForm): boolean {
  return form === 'full' || form === 'short';
}

interface DecorationStep {
  marking: Marking;
  dropped: string[];
}

/** The marking, then the same with ever more decoration left out; the last step marks nothing. */
function decorationSteps(marking: Marking): DecorationStep[] {
  const steps: DecorationStep[] = [{ marking, dropped: [] }];
  const step = (next: Partial<Marking>, dropped: string[]) => {
    const previous = steps[steps.length - 1];
    if (dropped.length > 0) steps.push({ marking: { ...previous.marking, ...next }, dropped: [...previous.dropped, ...dropped] });
  };
  step({ subjectTags: [] }, marking.subjectTags.filter(Boolean).map((tag) => `subject tag "${tag}"`));
  step({ headers: [] }, marking.headers.map(({ name }) => `header ${name}`));
  step({ header: undefined }, marking.header === undefined ? [] : ['header X-InboxGuard']);
  return steps;
}

/** Every decoration of a marking, as DecorationDropped names them. */
export function decorationsOf(marking: Marking): string[] {
  return decorationSteps(marking).at(-1)?.dropped ?? [];
}

function markingGrowth(original: Buffer, marking: Marking): number {
  if (!marksAnything(marking)) return 0;
  const header = original.subarray(0, readTopHeader(original).bodyStart);
  return markHeader(header, marking).length - header.length;
}

function withDrops(result: RewriteResult, dropped: string[], originalSize: number): Rewritten {
  const rewritten: Rewritten = { bytes: result.bytes, sizePreserved: result.sizePreserved };
  const smallest = smallestForm(result.noticeForms ?? []);
  if (dropped.length === 0 && smallest === 'full') return rewritten;
  const reason = result.sizePreserved
    ? `the message keeps its size of ${originalSize} bytes, which the client may already know`
    : `even the smallest replacement is larger than the ${originalSize} bytes it replaces`;
  return { ...rewritten, decorationDropped: { dropped, ...(smallest === 'full' ? {} : { notice: smallest }), reason } };
}

const FORM_ORDER: NoticeForm[] = ['full', 'short', 'minimal', 'bare'];

function smallestForm(forms: readonly NoticeForm[]): NoticeForm {
  return forms.reduce<NoticeForm>((smallest, form) => (FORM_ORDER.indexOf(form) > FORM_ORDER.indexOf(smallest) ? form : smallest), 'full');
}

/**
 * Adds the subject tags, the rules' header fields and the X-InboxGuard header to a whole message. Each
 * touches only the header block, so they are applied to that block, and the message is copied once,
 * into `allocate`d bytes (in a scan worker, memory it transfers with its reply).
 */
export function markMessage(message: Buffer, marking: Marking, allocate: Allocate = Buffer.allocUnsafe): Buffer {
  if (!marksAnything(marking)) return message;
  const { bodyStart } = readTopHeader(message);
  const header = markHeader(message.subarray(0, bodyStart), marking);
  const marked = allocate(header.length + message.length - bodyStart);
  header.copy(marked, 0);
  message.copy(marked, header.length, bodyStart);
  return marked;
}

function markHeader(header: Buffer, marking: Marking): Buffer {
  let marked = header;
  for (const tag of marking.subjectTags) if (tag) marked = tagSubject(marked, tag);
  for (const { name, value } of marking.headers) marked = addHeader(marked, name, value);
  return marking.header === undefined ? marked : addHeader(marked, 'X-InboxGuard', marking.header);
}
