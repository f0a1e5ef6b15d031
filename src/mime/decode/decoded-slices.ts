// Transfer decoding slice by slice, for a part too large to decode whole: encoded slices in (read
// through the part's ByteSource), decoded slices out, identical in concatenation to decodeBody.
import type { ByteRange } from '../types.js';
import type { ByteSource } from '../byte-source.js';
import { Base64StreamDecoder } from './base64-stream.js';
import { isIdentityEncoding } from './body.js';
import { QuotedPrintableStreamDecoder } from './quoted-printable-stream.js';
import type { StreamDecoder } from './stream-decoder.js';

const identity: StreamDecoder = { write: (encoded) => encoded, end: () => Buffer.alloc(0) };

/** Whether `streamDecoder` has a decoder for the encoding (without making one). */
export function decodesInSlices(transferEncoding: string): boolean {
  return transferEncoding === 'base64' || transferEncoding === 'quoted-printable' || isIdentityEncoding(transferEncoding);
}

/** A decoder for the encoding, or undefined when it is not decoded slice by slice (uuencode). */
export function streamDecoder(transferEncoding: string): StreamDecoder | undefined {
  if (transferEncoding === 'base64') return new Base64StreamDecoder();
  if (transferEncoding === 'quoted-printable') return new QuotedPrintableStreamDecoder();
  if (isIdentityEncoding(transferEncoding)) return identity;
  return undefined;
}

export const ENCODED_SLICE_BYTES = 1 << 16;

/** The decoded body of `range` in `source`, as slices of about ENCODED_SLICE_BYTES encoded bytes each (empty slices skipped). */
export function* decodedSlices(source: ByteSource, range: ByteRange, decoder: StreamDecoder, sliceBytes = ENCODED_SLICE_BYTES): Generator<Buffer> {
  for (let start = range.start; start < range.end; start += sliceBytes) {
    const decoded = decoder.write(source.read(start, Math.min(range.end, start + sliceBytes)));
    if (decoded.length > 0) yield decoded;
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}
