// Replaces a whole message by a text/plain notice that keeps the fields a client needs to file and
// thread it. Raw field bytes are copied, folding included.
import { encodeNotice } from '../encode/notice.js';
import { fallbackTexts, firstFitting, fittedBytes, type NoticeForm, type NoticeLadder } from './replacement-entity.js';
import type { RewriteResult } from './strip-parts.js';
import { fieldBytes, readTopHeader } from './top-header.js';

const KEPT_FIELDS = new Set(['from', 'to', 'cc', 'date', 'subject', 'message-id', 'in-reply-to', 'references']);

export interface ReplaceMessageOptions {
  /** Pad the replacement to the original byte size when it fits. */
  keepSize?: boolean;
}

export function replaceMessage(message: Buffer, notice: string, options: ReplaceMessageOptions = {}): Buffer {
  if (options.keepSize) return replaceMessageKeepingSize(message, { full: notice }).bytes;
  return candidatesFor(message, { full: notice })[0].content;
}

/**
 * The replacement in the richest form (full, short, minimal notice, then a bare body under the kept
 * fields) that has the original's length less `reserveBytes`, padded to exactly that length, written
 * where `allocate` says.
 */
export function replaceMessageKeepingSize(message: Buffer, notices: NoticeLadder, reserveBytes = 0, allocate?: (length: number) => Buffer): RewriteResult {
  const fitted = firstFitting(candidatesFor(message, notices), message.length - reserveBytes, readTopHeader(message).eol);
  return { bytes: fittedBytes(fitted, allocate), sizePreserved: fitted.fits, noticeForms: [fitted.form] };
}

function candidatesFor(message: Buffer, notices: NoticeLadder): { form: NoticeForm; content: Buffer }[] {
  const header = readTopHeader(message);
  const { eol } = header;
  const kept = Buffer.concat(header.fields.filter((field) => KEPT_FIELDS.has(field.name)).map((field) => fieldBytes(message, field, eol)));
  const withNotice = (notice: string): Buffer => {
    const encoded = encodeNotice(notice, eol);
    const ours = ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', `Content-Transfer-Encoding: ${encoded.transferEncoding}`, '', encoded.text].join(eol);
    return Buffer.concat([kept, Buffer.from(ours, 'latin1')]);
  };
  // Without MIME fields the body is text/plain; charset=us-ascii (RFC 2045 §5.2), so an ASCII line needs none.
  const bare = (text: string): Buffer => Buffer.concat([kept, Buffer.from(`${eol}${text}`, 'latin1')]);
  const candidates: { form: NoticeForm; content: Buffer }[] = [{ form: 'full', content: withNotice(notices.full) }];
  if (notices.short !== undefined) candidates.push({ form: 'short', content: withNotice(notices.short) });
  const texts = fallbackTexts(notices, eol);
  texts.forEach((text, index) => candidates.push({ form: index === 0 && notices.minimal !== undefined ? 'minimal' : 'bare', content: bare(text) }));
  // The kept fields are a subset of the original header: alone (a message without a body) they always fit.
  candidates.push({ form: 'bare', content: kept });
  return candidates;
}
