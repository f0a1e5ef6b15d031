// A parsed view of the top-level header for filtering rules (sender, recipients, subject, headers), made by
// mailparser from the header block alone so attachments are never buffered or decoded for it.
import type { AddressObject, EmailAddress } from 'mailparser';
import { latin1ToText } from './bytes.js';
import { libmime } from './libmime.js';
import { DEFAULT_WALK_LIMITS } from './types.js';
import { readTopHeader } from './rewrite/top-header.js';
import { RecentEnvelopes } from './recent-envelopes.js';

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

const recent = new RecentEnvelopes(envelopeCopy);

export async function readEnvelope(message: Buffer): Promise<MessageEnvelope> {
  const header = readTopHeader(message);
  const headerBlock = Buffer.concat([message.subarray(0, Math.min(header.fieldsEnd, headerByteCap(message))), Buffer.from(`${header.eol}${header.eol}`, 'latin1')]);
  const key = recent.keyOf(headerBlock);
  const known = key === undefined ? undefined : recent.get(key);
  if (known) return known;
  const parsingFrom = Date.now();
  const envelope = await parseEnvelope(headerBlock);
  const readAsNow = envelope.date !== undefined && envelope.date.getTime() >= parsingFrom && envelope.date.getTime() <= Date.now();
  if (key !== undefined && !readAsNow) recent.set(key, envelope);
  return envelope;
}

async function parseEnvelope(headerBlock: Buffer): Promise<MessageEnvelope> {
  const { MailParser } = await (mailparser ??= import('mailparser'));
  const parsed = await topHeaderOf(new MailParser(PARSER_OPTIONS), headerBlock);
  const envelope: MessageEnvelope = {
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    replyTo: addresses(parsed.replyTo),
    headers: (parsed.headerLines || []).map(({ key, line }) => ({ name: key, value: unfoldedValue(line) })),
  };
  if (parsed.subject !== undefined) envelope.subject = parsed.subject;
  if (parsed.date !== undefined && !Number.isNaN(parsed.date.getTime())) envelope.date = parsed.date;
  if (parsed.messageId !== undefined) envelope.messageId = parsed.messageId;
  return envelope;
}

const PARSER_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true, checksumAlgo: false } as const;

type Parser = InstanceType<typeof import('mailparser').MailParser>;

/**
 * The parser with its top-level header read (its documented `headers` event: `subject`, `from`, …,
 * `headerLines` are set by then, as simpleParser reports them): what follows the header (text nodes,
 * the end of the stream, image links) is of no use here and is not waited for.
 */
function topHeaderOf(parser: Parser, headerBlock: Buffer): Promise<Parser> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      parser.removeListener('headers', onHeaders);
      parser.removeListener('end', onEnd);
      // An error the destroyed parser still reports after this is ignored (settle stays its listener).
      parser.destroy();
      if (error) reject(error);
      else resolve(parser);
    };
    const onHeaders = (): void => settle();
    const onEnd = (): void => settle();
    parser.once('headers', onHeaders);
    parser.on('error', settle);
    // A parser that never reports a header (it always does for a header block) still settles at its end.
    parser.once('end', onEnd);
    parser.resume();
    parser.end(headerBlock);
  });
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

/** A reader may change what it is given: each gets its own arrays and Date. */
export function envelopeCopy(envelope: MessageEnvelope): MessageEnvelope {
  const copy: MessageEnvelope = {
    from: [...envelope.from],
    to: [...envelope.to],
    cc: [...envelope.cc],
    replyTo: [...envelope.replyTo],
    headers: envelope.headers.map(({ name, value }) => ({ name, value })),
  };
  if (envelope.subject !== undefined) copy.subject = envelope.subject;
  if (envelope.date !== undefined) copy.date = new Date(envelope.date.getTime());
  if (envelope.messageId !== undefined) copy.messageId = envelope.messageId;
  return copy;
}
