import { stripParts, stripSinglePart, walkMessage, walkPart, type PartRemoval, type RewriteResult, type WalkResult } from '../mime/index.js';
import type { BodyContext } from '../types/body-context.js';

/**
 * How a fetched body relates to a message, which decides how it is walked and rewritten:
 * - message: a whole message (BODY[], RFC822, RETR, TOP) — can carry a marking header;
 * - text: a message body without its header (BODY[TEXT]); the boundary is recovered from the body;
 * - part: one MIME part's content (BODY[n], BINARY[n]); rewritten in place, keeping its encoding.
 */
export interface BodyShape {
  kind: 'message' | 'text' | 'part';
  walk: WalkResult;
  canMark: boolean;
  strip(removals: readonly PartRemoval[], reserveBytes: number): RewriteResult;
}

export function shapeOf(bytes: Buffer, context: BodyContext): BodyShape {
  if (context.isPart) return partShape(bytes, context);
  if (/TEXT\]?$/.test(context.section)) return textShape(bytes);
  return {
    kind: 'message',
    walk: walkMessage(bytes),
    canMark: true,
    strip: (removals, reserveBytes) => stripParts(bytes, removals, {}, { reserveBytes }),
  };
}

function textShape(bytes: Buffer): BodyShape {
  const header = Buffer.from(`${boundaryHeader(bytes) ?? 'Content-Type: text/plain'}\r\n\r\n`, 'latin1');
  const asMessage = Buffer.concat([header, bytes]);
  return {
    kind: 'text',
    walk: walkMessage(asMessage),
    canMark: false,
    strip: (removals) => {
      const result = stripParts(asMessage, removals);
      return { bytes: result.bytes.subarray(header.length), sizePreserved: result.sizePreserved };
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
  const encoding = context.decoded ? 'binary' : looksLikeBase64(bytes) ? 'base64' : '7bit';
  const header = context.partHeader ?? Buffer.from(`Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n`, 'latin1');
  return {
    kind: 'part',
    walk: walkPart(bytes, header),
    canMark: false,
    strip: (removals) => stripSinglePart(bytes, encoding, removals.map((removal) => removal.notice).join('\n')),
  };
}

/** Without the part's MIME header (IMAP BODY[n]), base64 is recognised by its shape: every line of base64 alphabet. */
function looksLikeBase64(bytes: Buffer): boolean {
  if (bytes.length < 4) return false;
  const sample = bytes.subarray(0, 16 * 1024).toString('latin1');
  const lines = sample.split(/\r?\n/).slice(0, -1);
  return lines.length > 0 && lines.every((line) => /^[A-Za-z0-9+/]*={0,2}$/.test(line) && line.length <= 1000) && lines[0].length >= 4;
}
