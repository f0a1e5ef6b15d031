// Base64 decoded slice by slice, with the same bytes and the same inspection as decodeBase64Inspected
// over the whole body. The tolerant decoding is a state machine over the characters (quantum, padding
// seen), so it carries across slices; the native fast path needs whole lines from a quantum boundary,
// so the bytes after a slice's last line break wait for the next slice (unless they grow past
// CARRY_LIMIT: a body without line breaks).
import { INVALID, PAD, SEXTET, nativePrefix, type Base64Inspection } from './base64.js';
import type { StreamDecoder } from './stream-decoder.js';

const LF = 0x0a;
const CARRY_LIMIT = 1 << 16;

export class Base64StreamDecoder implements StreamDecoder {
  private carry: Buffer | undefined;
  private quantum = 0;
  private count = 0;
  private characters = 0;
  private invalidBytes = 0;
  private padded = false;
  private dataAfterPadding = false;

  write(encoded: Buffer): Buffer {
    const joined = this.carry ? Buffer.concat([this.carry, encoded]) : encoded;
    const lastLineEnd = joined.lastIndexOf(LF) + 1;
    const cut = lastLineEnd === 0 && joined.length > CARRY_LIMIT ? joined.length : lastLineEnd;
    // Copied: the caller may reuse the slice it handed in.
    this.carry = cut < joined.length ? Buffer.from(joined.subarray(cut)) : undefined;
    return this.decode(joined.subarray(0, cut));
  }

  end(): Buffer {
    const rest = this.carry ? this.decode(this.carry) : Buffer.alloc(0);
    this.carry = undefined;
    const tail = Buffer.allocUnsafe(2);
    const written = this.flushPartial(tail, 0);
    return written === 0 ? rest : Buffer.concat([rest, tail.subarray(0, written)]);
  }

  /** As inspectBase64 gives it for the whole body; complete after end(). */
  inspection(): Base64Inspection {
    return { invalidBytes: this.invalidBytes, dataAfterPadding: this.dataAfterPadding, remainder: this.characters % 4 };
  }

  private decode(bytes: Buffer): Buffer {
    if (bytes.length === 0) return bytes;
    const output = Buffer.allocUnsafe(Math.ceil((bytes.length * 3) / 4) + 3);
    let written = 0;
    let at = 0;
    if (this.count !== 0) ({ at, written } = this.tolerant(bytes, 0, output, 0, true));
    if (this.count === 0 && at < bytes.length) {
      // Whole quanta of base64 characters only: no padding, no stray byte, nothing to carry.
      const prefix = nativePrefix(bytes.subarray(at), output.subarray(written));
      at += prefix.end;
      written += prefix.written;
      this.characters += prefix.characters;
      if (this.padded && prefix.characters > 0) this.dataAfterPadding = true;
    }
    ({ written } = this.tolerant(bytes, at, output, written, false));
    return output.subarray(0, written);
  }

  /** The byte-by-byte decoding of decodeTolerantly, from `from`; stops at a quantum boundary when asked. */
  private tolerant(bytes: Buffer, from: number, output: Buffer, at: number, untilQuantum: boolean): { at: number; written: number } {
    let written = at;
    let index = from;
    for (; index < bytes.length; index++) {
      if (untilQuantum && this.count === 0) break;
      const sextet = SEXTET[bytes[index]];
      if (sextet < 64) {
        this.characters++;
        if (this.padded) this.dataAfterPadding = true;
        this.quantum = (this.quantum << 6) | sextet;
        if (++this.count === 4) {
          output[written++] = (this.quantum >> 16) & 0xff;
          output[written++] = (this.quantum >> 8) & 0xff;
          output[written++] = this.quantum & 0xff;
          this.quantum = 0;
          this.count = 0;
        }
      } else if (sextet === PAD) {
        this.padded = true;
        written = this.flushPartial(output, written);
      } else if (sextet === INVALID) this.invalidBytes++;
    }
    return { at: index, written };
  }

  private flushPartial(output: Buffer, at: number): number {
    let written = at;
    if (this.count === 2) output[written++] = (this.quantum >> 4) & 0xff;
    else if (this.count === 3) {
      output[written++] = (this.quantum >> 10) & 0xff;
      output[written++] = (this.quantum >> 2) & 0xff;
    }
    this.quantum = 0;
    this.count = 0;
    return written;
  }
}
