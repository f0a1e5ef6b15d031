// Adds one header field at the top of a message's header block (e.g. "X-InboxGuard: infected;
// engine=clamd; version=1.0.5"). The message grows by the field's length; callers decide when that is acceptable.
import { isAscii, lineEndingOf } from '../bytes.js';
import { libmime } from '../libmime.js';

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

export function addHeader(message: Buffer, name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(formatField(name, value, lineEndingOf(message)), 'latin1'), message]);
}

/** A folded field line ending with `eol`. Line breaks in the value are flattened (no header injection). */
export function formatField(name: string, value: string, eol: '\r\n' | '\n'): string {
  if (!FIELD_NAME.test(name)) throw new Error(`invalid header field name "${name}"`);
  const flat = value.replace(/[\r\n]+/g, ' ').trim();
  const encoded = isAscii(flat) ? flat : libmime.encodeWord(flat, 'Q', 52);
  return libmime.foldLines(`${name}: ${encoded}`, 76, false).replace(/\r?\n/g, eol) + eol;
}
