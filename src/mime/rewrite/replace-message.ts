// Replaces a whole message by a text/plain notice that keeps the fields a client needs to file and
// thread it. Raw field bytes are copied, folding included.
import { encodeNotice } from '../encode/notice.js';
import { fitToLength } from './replacement-entity.js';
import { fieldBytes, readTopHeader } from './top-header.js';

const KEPT_FIELDS = new Set(['from', 'to', 'cc', 'date', 'subject', 'message-id', 'in-reply-to', 'references']);

export interface ReplaceMessageOptions {
  /** Pad the replacement to the original byte size when it fits. */
  keepSize?: boolean;
}

export function replaceMessage(message: Buffer, notice: string, options: ReplaceMessageOptions = {}): Buffer {
  const header = readTopHeader(message);
  const { eol } = header;
  const kept = header.fields.filter((field) => KEPT_FIELDS.has(field.name)).map((field) => fieldBytes(message, field, eol));
  const encoded = encodeNotice(notice, eol);
  const ours = [
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${encoded.transferEncoding}`,
    '',
    encoded.text,
  ].join(eol);
  const replacement = Buffer.concat([...kept, Buffer.from(ours, 'latin1')]);
  return options.keepSize ? fitToLength(replacement, message.length, eol).bytes : replacement;
}
