// Reads the MIME fields of one entity's header (RFC 2045 / 2046 / 2183) into a PartDescription.
// Like Dovecot, only the first Content-Type counts; values are parsed from Latin-1 text so raw bytes
// (a boundary, an 8-bit file name) survive, and names are then decoded for display.
import { latin1ToText } from './bytes.js';
import { firstField, rawFieldValue, type HeaderField } from './header-fields.js';
import { libmime } from './libmime.js';
import type { PartDescription } from './types.js';

export interface PartHeaderInfo extends PartDescription {
  /** multipart boundary as raw bytes, when the entity is multipart and names one. */
  boundary?: Buffer;
}

export function describePart(buffer: Buffer, fields: readonly HeaderField[], defaultType: string): PartHeaderInfo {
  const contentTypeField = firstField(fields, 'content-type');
  const dispositionField = firstField(fields, 'content-disposition');
  const encodingField = firstField(fields, 'content-transfer-encoding');

  const contentType = contentTypeField ? parseStructured(rawFieldValue(buffer, contentTypeField)) : undefined;
  const disposition = dispositionField ? parseStructured(rawFieldValue(buffer, dispositionField)) : undefined;

  const info: PartHeaderInfo = {
    contentType: contentType === undefined ? defaultType : mediaTypeOf(contentType.value),
    params: contentType ? readableParams(contentType.params, contentType.decodedParams) : {},
    transferEncoding: encodingField ? transferEncodingOf(rawFieldValue(buffer, encodingField)) : '7bit',
  };
  const charset = info.params.charset;
  if (charset) info.charset = charset.toLowerCase();
  if (disposition?.value) info.disposition = disposition.value.toLowerCase();
  const fileName = readFileName(disposition, 'filename') ?? readFileName(contentType, 'name');
  if (fileName) info.fileName = fileName;
  const boundary = contentType?.params.boundary;
  if (info.contentType.startsWith('multipart/') && boundary) info.boundary = Buffer.from(boundary, 'latin1');
  return info;
}

type Parsed = ReturnType<typeof libmime.parseHeaderValue>;

/** An unreadable Content-Type means text/plain (RFC 2045 §5.2). */
function mediaTypeOf(value: string): string {
  const type = value.toLowerCase();
  return /^[^/\s]+\/[^/\s]+$/.test(type) ? type : 'text/plain';
}

function parseStructured(value: string): Parsed {
  try {
    return libmime.parseHeaderValue(value, { stripComments: true });
  } catch {
    return { value: value.split(';')[0].trim(), params: {} };
  }
}

function readableParams(params: Record<string, string>, decoded: readonly string[] = []): Record<string, string> {
  const readable: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    readable[name] = decoded.includes(name) ? value : decodeWords(latin1ToText(value));
  }
  return readable;
}

function readFileName(parsed: Parsed | undefined, param: string): string | undefined {
  const value = parsed?.params[param];
  if (!value) return undefined;
  // RFC 2231 values are decoded by libmime already; decoding encoded-words in them too would let
  // "%3D%3Futf-8..." smuggle a second name past a reader that decodes once.
  if (parsed?.decodedParams?.includes(param)) return value;
  return decodeWords(latin1ToText(value));
}

function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

function transferEncodingOf(value: string): string {
  // A token never contains "(", so whatever follows one is a comment.
  return value.split('(', 1)[0].trim().toLowerCase() || '7bit';
}
