import { NO_HEADER_LIMITS, splitHeaderFields, walkPart } from '../mime/index.js';
import type { BodyContext } from '../types/body-context.js';

// What the context of a body fetched on its own (IMAP BODY[n], BINARY[n], BODY[TEXT]) tells the
// scan: the part's MIME header (its real transfer encoding) and the header of its message (for the
// exact multipart boundary of a text, for identity, and for the original kept in quarantine).

/** Header fields that describe the content: they belong to the part, not to the message around it. */
const CONTENT_FIELD = /^(?:content-[a-z-]*|mime-version)$/i;

/** The context travels to worker threads, which turns its Buffers into plain Uint8Arrays. */
export function headerBytes(value: Uint8Array | undefined): Buffer | undefined {
  if (value === undefined || value.length === 0) return undefined;
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Content-Transfer-Encoding of a MIME header block (lower case, "7bit" when absent). */
export function transferEncodingOf(header: Buffer): string {
  return walkPart(Buffer.alloc(0), header).parts[0]?.transferEncoding ?? '7bit';
}

/** The fields of a header block (each with its folded lines and line break) whose name `drop` does not reject. */
function fieldsExcept(header: Buffer, drop: (name: string) => boolean): Buffer[] {
  const { fields } = splitHeaderFields(header, 0, header.length, NO_HEADER_LIMITS);
  return fields.filter((field) => !drop(field.name)).map((field) => header.subarray(field.start, field.end));
}

/** A part's MIME header for content that arrived transfer-decoded (BINARY[n]): no encoding left to undo. */
export function decodedPartHeader(header: Buffer): Buffer {
  return Buffer.concat([...fieldsExcept(header, (name) => /^content-transfer-encoding$/i.test(name)), Buffer.from('\r\n')]);
}

/** True when originalMessage() gives the whole message as the server holds it (not a part of it). */
export function originalIsWhole(context: BodyContext): boolean {
  if (context.protocol === 'pop3') return !context.truncated;
  const section = context.section.toUpperCase();
  if (/^(?:BODY|BINARY)\[\]/.test(section) || section === 'RFC822') return true;
  return (section === 'BODY[TEXT]' || section === 'RFC822.TEXT') && headerBytes(context.messageHeader) !== undefined;
}

function isText(context: BodyContext): boolean {
  return /TEXT\]?$/.test(context.section);
}

/** True when originalMessage() is the bytes as fetched, nothing put in front of them. */
export function originalIsAsFetched(context: BodyContext): boolean {
  const messageHeader = headerBytes(context.messageHeader);
  const partHeader = headerBytes(context.partHeader);
  if (isText(context)) return !partHeader && !messageHeader;
  return !messageHeader || !context.isPart || !partHeader;
}

/**
 * The message a section belongs to, as far as the context holds it — what the quarantine keeps and
 * what identifies the message:
 * - a TEXT section with the header it follows: header + text, the whole message byte for byte (for
 *   the TEXT of an embedded message, that embedded message);
 * - a part with its MIME header and the message header: the message header (its content fields
 *   replaced by the part's) over the part's content, a message holding just that part;
 * - anything else: the bytes as fetched.
 */
export function originalMessage(bytes: Buffer, context: BodyContext): Buffer {
  if (originalIsAsFetched(context)) return bytes;
  const messageHeader = headerBytes(context.messageHeader);
  const partHeader = headerBytes(context.partHeader);
  // BODY[2.TEXT] follows the header of the embedded message: together they are that message.
  if (isText(context)) return Buffer.concat([(partHeader ?? messageHeader) as Buffer, bytes]);
  // Not as fetched and not TEXT: a part fetched with both its MIME header and the message header.
  if (!messageHeader || !partHeader) return bytes;
  const ownHeader = context.decoded ? decodedPartHeader(partHeader) : partHeader;
  const contentFields = fieldsExcept(ownHeader, (name) => !CONTENT_FIELD.test(name));
  const messageFields = fieldsExcept(messageHeader, (name) => CONTENT_FIELD.test(name));
  return Buffer.concat([...messageFields, Buffer.from('MIME-Version: 1.0\r\n'), ...contentFields, Buffer.from('\r\n'), bytes]);
}

/** The header of the message a section belongs to, when the engine fetched it along (identity for events, rules, quarantine). */
export function messageHeaderOf(context: BodyContext): Buffer | undefined {
  return headerBytes(context.messageHeader);
}
