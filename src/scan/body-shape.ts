import { stripParts, stripSinglePart, walkMessage, walkMessageSource, walkPart, type PartRemoval, type RewriteResult, type WalkResult } from '../mime/index.js';
import { wholeOf, type EvaluationInput } from './message-input.js';
import type { BodyContext } from '../types/body-context.js';
import { decodedPartHeader, headerBytes, transferEncodingOf } from './section-context.js';

/**
 * How a fetched body relates to a message, which decides how it is walked and rewritten:
 * - message: a whole message (BODY[], RFC822, RETR, TOP) — can carry a marking header;
 * - text: a message body without its header (BODY[TEXT]); walked under the header it follows when the
 *   engine fetched it along, else the boundary is recovered from the body;
 * - part: one MIME part's content (BODY[n], BINARY[n]); decoded as its MIME header (BODY[n.MIME])
 *   says, rewritten in place keeping its encoding. Without that header it is scanned under each
 *   plausible decoding.
 */
export interface BodyShape {
  kind: 'message' | 'text' | 'part';
  walk: WalkResult;
  canMark: boolean;
  /** `allocate`: where a whole message or a body is written (a single part's rewrite ignores it). */
  strip(removals: readonly PartRemoval[], reserveBytes: number, allocate?: (length: number) => Buffer): RewriteResult;
}

/** A whole message (BODY[], RFC822, RETR, TOP), the shape walked from a source without holding it whole. */
export function isWholeMessage(context: BodyContext): boolean {
  return !context.isPart && !/TEXT\]?$/.test(context.section);
}

/**
 * A whole message given as a source is walked from it in slices and read whole only to be rewritten;
 * the other shapes are read whole.
 */
export function shapeOf(input: EvaluationInput, context: BodyContext): BodyShape {
  if (!isWholeMessage(context)) return partOrTextShape(wholeOf(input), context);
  return {
    kind: 'message',
    walk: Buffer.isBuffer(input) ? walkMessage(input) : walkMessageSource(input),
    canMark: true,
    strip: (removals, reserveBytes, allocate) => stripParts(wholeOf(input), removals, {}, { reserveBytes, allocate }),
  };
}

function partOrTextShape(bytes: Buffer, context: BodyContext): BodyShape {
  if (context.isPart) return partShape(bytes, context);
  return textShape(bytes, headerBytes(context.partHeader) ?? headerBytes(context.messageHeader));
}

function textShape(bytes: Buffer, messageHeader: Buffer | undefined): BodyShape {
  const header = messageHeader ?? Buffer.from(`${boundaryHeader(bytes) ?? 'Content-Type: text/plain'}\r\n\r\n`, 'latin1');
  const asMessage = Buffer.concat([header, bytes]);
  return {
    kind: 'text',
    walk: walkMessage(asMessage),
    canMark: false,
    strip: (removals, _reserveBytes, allocate) => {
      const result = stripParts(asMessage, removals, {}, { allocate });
      return { ...result, bytes: result.bytes.subarray(header.length) };
    },
  };
}

/** A multipart Content-Type for a body whose first delimiter line and closing delimiter are both present. */
function boundaryHeader(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 64 * 1024).toString('latin1');
  const delimiter = /(?:^|\n)--([^\r\n]{1,70}?)[ \t]*\r?\n/.exec(head);
  if (!delimiter) return undefined;
  const boundary = delimiter[1];
  if (!bytes.includes(Buffer.from(`--${boundary}--`, 'latin1'))) return undefined;
  return `Content-Type: multipart/mixed; boundary="${boundary.replace(/"/g, '\\"')}"`;
}

function partShape(bytes: Buffer, context: BodyContext): BodyShape {
  const partHeader = headerBytes(context.partHeader);
  if (context.decoded) {
    const header = partHeader ? decodedPartHeader(partHeader) : Buffer.from('Content-Type: application/octet-stream\r\n\r\n', 'latin1');
    return singlePart(bytes, walkPart(bytes, header), 'binary');
  }
  if (partHeader) return singlePart(bytes, walkPart(bytes, partHeader), transferEncodingOf(partHeader));
  return singlePart(bytes, everyDecoding(bytes), looksLikeBase64(bytes) ? 'base64' : '7bit');
}

function singlePart(bytes: Buffer, walk: WalkResult, encoding: string): BodyShape {
  return {
    kind: 'part',
    walk,
    canMark: false,
    strip: (removals) => stripSinglePart(bytes, encoding, removals.map((removal) => removal.notice).join('\n'), shorterNotices(removals)),
  };
}

/** The short, then the minimal notices of all removals, each joined into one notice. */
function shorterNotices(removals: readonly PartRemoval[]): string[] {
  const short = removals.map((removal) => removal.shortNotice ?? removal.notice).join('\n');
  const minimal = removals.map((removal) => removal.minimalNotice ?? '').filter(Boolean).join(' ');
  return minimal ? [short, minimal] : [short];
}

const UNKNOWN_ENCODINGS: ReadonlyArray<[label: string, header: string]> = [
  // As it is, and uuencoded blocks inside it (looked for in text parts only).
  ['', 'Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit'],
  ['base64', 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64'],
  ['quoted-printable', 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: quoted-printable'],
];

/**
 * A part whose MIME header could not be had (the server refused BODY[n.MIME]): whatever its encoding
 * was, one of these readings holds the content. A reading that does not fit is not a finding.
 */
function everyDecoding(bytes: Buffer): WalkResult {
  const parts = UNKNOWN_ENCODINGS.flatMap(([label, header]) =>
    walkPart(bytes, Buffer.from(`${header}\r\n\r\n`, 'latin1')).parts.map((part) => ({
      ...part,
      path: label === '' ? part.path : `${part.path} (as ${label})`,
      malformed: undefined,
      decode: () => part.decode(),
    })),
  );
  return { parts };
}

/** Without the part's MIME header (IMAP BODY[n]), base64 is recognised by its shape: every line of base64 alphabet. */
function looksLikeBase64(bytes: Buffer): boolean {
  if (bytes.length < 4) return false;
  const sample = bytes.subarray(0, 16 * 1024).toString('latin1');
  const lines = sample.split(/\r?\n/).slice(0, -1);
  return lines.length > 0 && lines.every((line) => /^[A-Za-z0-9+/]*={0,2}$/.test(line) && line.length <= 1000) && lines[0].length >= 4;
}
