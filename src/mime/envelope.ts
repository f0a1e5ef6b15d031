// A parsed view of the top-level header for filtering rules (sender, recipients, subject, headers), made by
// mailparser from the header block alone so attachments are never buffered or decoded for it.
import type { AddressObject, EmailAddress } from 'mailparser';
import { latin1ToText } from './bytes.js';
import { libmime } from './libmime.js';
import { DEFAULT_WALK_LIMITS } from './types.js';
import { readTopHeader } from './rewrite/top-header.js';

export interface MessageEnvelope {
  /** Addresses, lower case, groups flattened. */
  from: string[];
  to: string[];
  cc: string[];
  replyTo: string[];
  subject?: string;
  date?: Date;
  messageId?: string;
  /** Every header field, name lower case, value unfolded and decoded. */
  headers: { name: string; value: string }[];
}

// mailparser and what it pulls in (iconv-lite, html-to-text, …) are about 25 MiB of resident memory, and
// only a scanning thread needs them: loaded on first use, not at start.
let mailparser: Promise<typeof import('mailparser')> | undefined;

export async function readEnvelope(message: Buffer): Promise<MessageEnvelope> {
  const { simpleParser } = await (mailparser ??= import('mailparser'));
  const header = readTopHeader(message);
  const headerBlock = message.subarray(0, Math.min(header.fieldsEnd, headerByteCap(message)));
  const parsed = await simpleParser(Buffer.concat([headerBlock, Buffer.from(`${header.eol}${header.eol}`, 'latin1')]), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
  });
  const envelope: MessageEnvelope = {
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    replyTo: addresses(parsed.replyTo),
    headers: parsed.headerLines.map(({ key, line }) => ({ name: key, value: unfoldedValue(line) })),
  };
  if (parsed.subject !== undefined) envelope.subject = parsed.subject;
  if (parsed.date !== undefined && !Number.isNaN(parsed.date.getTime())) envelope.date = parsed.date;
  if (parsed.messageId !== undefined) envelope.messageId = parsed.messageId;
  return envelope;
}

/** Stops at a line break within the walker's header byte limit, so a hostile header costs bounded work. */
function headerByteCap(message: Buffer): number {
  if (message.length <= DEFAULT_WALK_LIMITS.maxHeaderBytes) return message.length;
  const lastBreak = message.lastIndexOf(0x0a, DEFAULT_WALK_LIMITS.maxHeaderBytes);
  return lastBreak === -1 ? DEFAULT_WALK_LIMITS.maxHeaderBytes : lastBreak + 1;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const flatten = (entry: EmailAddress): string[] => (entry.group ? entry.group.flatMap(flatten) : entry.address ? [entry.address.toLowerCase()] : []);
  return objects.flatMap((object) => object.value.flatMap(flatten));
}

function unfoldedValue(line: string): string {
  const colon = line.indexOf(':');
  const value = latin1ToText(line.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, '')).trim();
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}
