// A parsed view of the top-level header for filtering rules (sender, recipients, subject, headers), made by
// mailparser's header processing from the header block alone so attachments are never buffered or decoded for it.
import { createRequire } from 'node:module';
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
  const { values, lines } = await parsedTopHeader(headerBlock);
  const envelope: MessageEnvelope = {
    from: addresses(values.get('from') as AddressObject | undefined),
    to: addresses(values.get('to') as AddressObject | AddressObject[] | undefined),
    cc: addresses(values.get('cc') as AddressObject | AddressObject[] | undefined),
    replyTo: addresses(values.get('reply-to') as AddressObject | undefined),
    headers: lines.map(({ key, line }) => ({ name: key, value: unfoldedValue(line) })),
  };
  const subject = values.get('subject') as string | undefined;
  const date = values.get('date') as Date | undefined;
  const messageId = values.get('message-id') as string | undefined;
  if (subject !== undefined) envelope.subject = subject;
  if (date !== undefined && !Number.isNaN(date.getTime())) envelope.date = date;
  if (messageId !== undefined) envelope.messageId = messageId;
  return envelope;
}

const PARSER_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true, checksumAlgo: false } as const;

/** What MailParser's splitter (mailsplit) and header processing are, used without their streams. */
interface HeaderParsing {
  Headers: new (block: Buffer, config: object) => { getList(): HeaderLine[] };
  /** MailParser#processHeaders of an idle parser: the decoded values by lower-case name, as its `headers` event gives them. */
  processHeaders(lines: HeaderLine[]): Map<string, unknown>;
}
interface HeaderLine {
  key: string;
  line: string;
}

let headerParsing: Promise<HeaderParsing> | undefined;

async function loadHeaderParsing(): Promise<HeaderParsing> {
  const { MailParser } = await (mailparser ??= import('mailparser'));
  // mailparser's own mailsplit, the one its splitter would have used.
  const mailsplit = createRequire(createRequire(import.meta.url).resolve('mailparser'))('@zone-eu/mailsplit') as { Headers: HeaderParsing['Headers'] };
  const parser = new MailParser(PARSER_OPTIONS) as unknown as { processHeaders?(lines: HeaderLine[]): Map<string, unknown> };
  // Internal to mailparser (pinned in package-lock.json): a release without it fails here, and the envelope differential test.
  if (typeof parser.processHeaders !== 'function' || typeof mailsplit.Headers !== 'function') throw new Error('mailparser no longer has the header processing readEnvelope uses');
  return { Headers: mailsplit.Headers, processHeaders: (lines) => parser.processHeaders!(lines) };
}

/** mailsplit's limit on a header block (MAX_HEAD_SIZE) and the least a line counts for against it (HEADER_LINE_MIN_COST). */
const MAX_HEAD_SIZE = 1024 * 1024;
const HEADER_LINE_MIN_COST = 64;

/**
 * The top-level header as MailParser reports it at its `headers` event (the same values; `lines`: its
 * headerLines), computed the way its splitter and header processing do, without the streams, events and
 * turns of the event loop a parser fed the block goes through (most of the cost of a small header).
 * The splitter's header block runs to the first empty line (LF or CRLF alone), and a block whose lines
 * cost more than MAX_HEAD_SIZE is an error.
 */
async function parsedTopHeader(headerBlock: Buffer): Promise<{ values: Map<string, unknown>; lines: HeaderLine[] }> {
  const { Headers, processHeaders } = await (headerParsing ??= loadHeaderParsing());
  let cost = 0;
  let end = headerBlock.length;
  for (let start = 0; start < headerBlock.length; ) {
    const lineFeed = headerBlock.indexOf(0x0a, start);
    const lineEnd = lineFeed === -1 ? headerBlock.length : lineFeed + 1;
    const length = lineEnd - start;
    const empty = (length === 1 && headerBlock[start] === 0x0a) || (length === 2 && headerBlock[start] === 0x0d && headerBlock[start + 1] === 0x0a);
    cost += empty ? length : Math.max(length, HEADER_LINE_MIN_COST);
    if (cost > MAX_HEAD_SIZE) throw Object.assign(new Error('Max header size for a MIME node exceeded'), { code: 'EMAXLEN' });
    start = lineEnd;
    if (empty) {
      end = lineEnd;
      break;
    }
  }
  const lines = new Headers(headerBlock.subarray(0, end), {}).getList();
  return { values: processHeaders(lines), lines };
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
