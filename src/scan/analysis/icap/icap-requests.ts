// Encoders for the two ICAP requests the backend sends (RFC 3507 §4.3, §4.8, §4.10), as byte
// arrays for the socket. The part travels as the body of an HTTP response, chunked (§4.4.1); the
// content itself is sliced, never copied.
import type { IcapTarget } from './icap-url.js';

const CRLF = '\r\n';

export function encodeOptions(target: IcapTarget): Buffer {
  return Buffer.from(`OPTIONS ${target.uri} ICAP/1.0${CRLF}Host: ${target.hostHeader}${CRLF}Encapsulated: null-body=0${CRLF}${CRLF}`, 'latin1');
}

/** A file name safe inside a quoted HTTP header value: printable ASCII without quotes or backslashes. */
export function headerSafeName(name: string): string {
  const safe = name.replace(/[^\x20-\x7e]|["\\]/g, '_').slice(0, 200);
  return safe === '' ? 'attachment' : safe;
}

export interface RespmodInput {
  target: IcapTarget;
  content: Buffer;
  /** The part's file name (for the HTTP request line and Content-Disposition). */
  name: string;
  /** Preview size in bytes (RFC 3507 §4.5); undefined sends the whole body without a preview. */
  previewBytes?: number;
  chunkBytes?: number;
}

export interface RespmodRequest {
  /** Sent at once: ICAP head, encapsulated HTTP heads, then the preview or the whole body. */
  initial: Buffer[];
  /** Sent after "100 Continue" when the preview did not hold the whole body; empty otherwise. */
  afterContinue: Buffer[];
  /** True when the preview carried the whole body ("0; ieof"): no 100 Continue is expected. */
  previewIsWhole: boolean;
}

export const DEFAULT_CHUNK_BYTES = 64 * 1024;

function chunks(content: Buffer, start: number, end: number, chunkBytes: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = start; at < end; at += chunkBytes) {
    const slice = content.subarray(at, Math.min(end, at + chunkBytes));
    out.push(Buffer.from(`${slice.length.toString(16)}${CRLF}`, 'latin1'), slice, Buffer.from(CRLF, 'latin1'));
  }
  return out;
}

export function httpHeads(name: string, length: number): { request: string; response: string } {
  const safe = headerSafeName(name);
  return {
    request: `GET /${encodeURIComponent(safe)} HTTP/1.1${CRLF}Host: inboxguard.invalid${CRLF}${CRLF}`,
    response:
      `HTTP/1.1 200 OK${CRLF}Content-Type: application/octet-stream${CRLF}Content-Length: ${length}${CRLF}` +
      `Content-Disposition: attachment; filename="${safe}"${CRLF}${CRLF}`,
  };
}

export function encodeRespmod(input: RespmodInput): RespmodRequest {
  const { target, content } = input;
  const chunkBytes = input.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new Error(`encodeRespmod: chunkBytes must be a positive integer, got ${chunkBytes}`);
  const heads = httpHeads(input.name, content.length);
  const resHdr = Buffer.byteLength(heads.request, 'latin1');
  const resBody = resHdr + Buffer.byteLength(heads.response, 'latin1');
  const preview = input.previewBytes === undefined ? undefined : Math.min(Math.max(0, Math.floor(input.previewBytes)), content.length);
  const icapHead =
    `RESPMOD ${target.uri} ICAP/1.0${CRLF}Host: ${target.hostHeader}${CRLF}Allow: 204${CRLF}` +
    (preview === undefined ? '' : `Preview: ${preview}${CRLF}`) +
    `Encapsulated: req-hdr=0, res-hdr=${resHdr}, res-body=${resBody}${CRLF}${CRLF}`;
  const head = Buffer.from(icapHead + heads.request + heads.response, 'latin1');
  const last = Buffer.from(`0${CRLF}${CRLF}`, 'latin1');
  if (preview === undefined) {
    return { initial: [head, ...chunks(content, 0, content.length, chunkBytes), last], afterContinue: [], previewIsWhole: false };
  }
  const whole = preview === content.length;
  return {
    initial: [head, ...chunks(content, 0, preview, chunkBytes), Buffer.from(whole ? `0; ieof${CRLF}${CRLF}` : `0${CRLF}${CRLF}`, 'latin1')],
    afterContinue: whole ? [] : [...chunks(content, preview, content.length, chunkBytes), last],
    previewIsWhole: whole,
  };
}
