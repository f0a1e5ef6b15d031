// Splits a header block into fields (RFC 5322 §2.2): a field runs from its name line through its folded
// continuation lines. Bytes are kept as they are; NULs and 8-bit bytes are tolerated.
import { CR, LF, SP, TAB, isBlankLine, nextLineStart } from './bytes.js';

export interface HeaderField {
  /** Field name, lower case, without surrounding whitespace; "" for a line without a colon. */
  name: string;
  /** First byte of the field's first line. */
  start: number;
  /** First byte after the line break of the field's last line. */
  end: number;
  /** First byte after the colon. */
  valueStart: number;
}

export interface HeaderFieldsLimits {
  maxHeaderLines: number;
  maxHeaderBytes: number;
}

export interface HeaderFields {
  fields: HeaderField[];
  /** Set when a limit stopped the split; the fields before it are returned. */
  truncated?: string;
}

const COLON = 0x3a;

/** For headers already bounded elsewhere (a rewrite of a message the walker accepted, a captured header). */
export const NO_HEADER_LIMITS: HeaderFieldsLimits = { maxHeaderLines: Number.POSITIVE_INFINITY, maxHeaderBytes: Number.POSITIVE_INFINITY };

/** Splits buffer[start, end) into fields, stopping at the first empty line. */
export function splitHeaderFields(buffer: Buffer, start: number, end: number, limits: HeaderFieldsLimits): HeaderFields {
  const fields: HeaderField[] = [];
  let lines = 0;
  let current: HeaderField | undefined;
  for (let lineStart = start; lineStart < end; ) {
    const lineEnd = nextLineStart(buffer, lineStart, end);
    if (isBlankLine(buffer, lineStart, lineEnd)) break;
    lines++;
    if (lines > limits.maxHeaderLines) return { fields, truncated: `more than ${limits.maxHeaderLines} header lines` };
    if (lineEnd - start > limits.maxHeaderBytes) return { fields, truncated: `header larger than ${limits.maxHeaderBytes} bytes` };
    const first = buffer[lineStart];
    if (current !== undefined && (first === SP || first === TAB)) {
      current.end = lineEnd;
    } else {
      current = fieldAt(buffer, lineStart, lineEnd);
      fields.push(current);
    }
    lineStart = lineEnd;
  }
  return { fields };
}

function fieldAt(buffer: Buffer, lineStart: number, lineEnd: number): HeaderField {
  const colon = buffer.indexOf(COLON, lineStart);
  if (colon === -1 || colon >= lineEnd) return { name: '', start: lineStart, end: lineEnd, valueStart: lineEnd };
  const name = buffer.toString('latin1', lineStart, colon).trim().toLowerCase();
  return { name, start: lineStart, end: lineEnd, valueStart: colon + 1 };
}

/** The field's value unfolded (line breaks removed) and trimmed, read as Latin-1 so bytes survive 1:1. */
export function rawFieldValue(buffer: Buffer, field: HeaderField): string {
  let value = '';
  let runStart = field.valueStart;
  for (let index = field.valueStart; index < field.end; index++) {
    const byte = buffer[index];
    if (byte === CR || byte === LF) {
      value += buffer.toString('latin1', runStart, index);
      runStart = index + 1;
    }
  }
  value += buffer.toString('latin1', runStart, field.end);
  return value.trim();
}

export function firstField(fields: readonly HeaderField[], name: string): HeaderField | undefined {
  return fields.find((field) => field.name === name);
}
