// The top-level header block of a message, split into fields without limits (a rewrite must keep every
// field it does not touch, however many there are).
import { isBlankLine, lineEndingOf, nextLineStart, type LineEnding } from '../bytes.js';
import { NO_HEADER_LIMITS, splitHeaderFields, type HeaderField } from '../header-fields.js';

export interface TopHeader {
  fields: HeaderField[];
  /** Where new fields go: after the last field, before the empty line. */
  fieldsEnd: number;
  bodyStart: number;
  eol: LineEnding;
}


export function readTopHeader(message: Buffer): TopHeader {
  let fieldsEnd = message.length;
  let bodyStart = message.length;
  for (let lineStart = 0; lineStart < message.length; ) {
    const lineEnd = nextLineStart(message, lineStart);
    if (isBlankLine(message, lineStart, lineEnd)) {
      fieldsEnd = lineStart;
      bodyStart = lineEnd;
      break;
    }
    lineStart = lineEnd;
  }
  return { fields: splitHeaderFields(message, 0, fieldsEnd, NO_HEADER_LIMITS).fields, fieldsEnd, bodyStart, eol: lineEndingOf(message) };
}

/** Bytes of a field as they are, completed with a line break when the header ended without one. */
export function fieldBytes(message: Buffer, field: HeaderField, eol: LineEnding): Buffer {
  const raw = message.subarray(field.start, field.end);
  return raw.length > 0 && raw[raw.length - 1] === 0x0a ? raw : Buffer.concat([raw, Buffer.from(eol, 'latin1')]);
}
