// Quoted-printable decoded slice by slice, with the same bytes as decodeQuotedPrintable over the whole
// body. After a hard line break nothing is pending (no "=XX" or soft break half read, no trailing
// whitespace whose fate a later byte decides: whitespace before a soft break is dropped or kept by
// what follows it), so the text up to the last hard break decodes alone and the rest waits for the
// next slice. Without a hard break near the end, the text is cut after a plain byte no "=" reaches.
import { CR, LF, SP, TAB } from '../bytes.js';
import { decodeQuotedPrintable } from './quoted-printable.js';
import type { StreamDecoder } from './stream-decoder.js';

const EQUALS = 0x3d;
/** How far back from the end a safe cut is looked for before the line is carried on whole. */
const CUT_SEARCH = 256;

export class QuotedPrintableStreamDecoder implements StreamDecoder {
  private carry: Buffer | undefined;

  write(encoded: Buffer): Buffer {
    const joined = this.carry ? Buffer.concat([this.carry, encoded]) : encoded;
    // Soft-broken lines only (a long HTML paragraph) have no hard break: a safe cut near the end will do.
    let cut = lastHardBreakEnd(joined, Math.max(0, joined.length - CUT_SEARCH * 16));
    if (cut === 0) cut = safeCut(joined);
    this.carry = cut < joined.length ? Buffer.from(joined.subarray(cut)) : undefined;
    return cut === 0 ? Buffer.alloc(0) : decodeQuotedPrintable(joined.subarray(0, cut));
  }

  end(): Buffer {
    const rest = this.carry ? decodeQuotedPrintable(this.carry) : Buffer.alloc(0);
    this.carry = undefined;
    return rest;
  }
}

/** The index after the last line break from `from` on that is not a soft one ("=", optional whitespace, line break), or 0. */
function lastHardBreakEnd(bytes: Buffer, from: number): number {
  for (let lf = bytes.lastIndexOf(LF); lf >= from; lf = lf === 0 ? -1 : bytes.lastIndexOf(LF, lf - 1)) {
    let before = lf - 1;
    if (before >= 0 && bytes[before] === CR) before--;
    while (before >= 0 && (bytes[before] === SP || bytes[before] === TAB)) before--;
    if (before < 0 || bytes[before] !== EQUALS) return lf + 1;
  }
  return 0;
}

/** A cut after a plain byte (kept, not whitespace) that no "=" before it can reach; 0 when none is near the end. */
function safeCut(bytes: Buffer): number {
  for (let end = bytes.length; end > 2 && end > bytes.length - CUT_SEARCH; end--) {
    const last = bytes[end - 1];
    if (last === SP || last === TAB || last === CR || last === LF || last === EQUALS) continue;
    if (bytes[end - 2] === EQUALS || bytes[end - 3] === EQUALS) continue;
    return end;
  }
  return 0;
}
