// Tolerant quoted-printable decoding (RFC 2045 §6.7): "=XX" is a byte, "=" before a line break is a soft
// break, any other "=" stays literal, and whitespace at the end of an encoded line is dropped.
import { CR, LF, SP, TAB } from '../bytes.js';

const EQUALS = 0x3d;

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

export function decodeQuotedPrintable(bytes: Uint8Array): Buffer {
  const output = Buffer.allocUnsafe(bytes.length);
  let written = 0;
  // Output length up to the last byte that is not raw trailing whitespace of the current line.
  let significant = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index];
    if (byte === EQUALS) {
      const high = hexValue(bytes[index + 1] ?? -1);
      const low = hexValue(bytes[index + 2] ?? -1);
      if (high !== -1 && low !== -1) {
        output[written++] = (high << 4) | low;
        significant = written;
        index += 2;
        continue;
      }
      const softBreakEnd = softLineBreakEnd(bytes, index + 1);
      if (softBreakEnd !== -1) {
        index = softBreakEnd - 1;
        continue;
      }
      output[written++] = byte;
      significant = written;
    } else if (byte === LF || (byte === CR && bytes[index + 1] === LF)) {
      written = significant;
      if (byte === CR) output[written++] = bytes[index++];
      output[written++] = LF;
      significant = written;
    } else {
      output[written++] = byte;
      if (byte !== SP && byte !== TAB) significant = written;
    }
  }
  return output.subarray(0, significant);
}

/** After "=": optional whitespace then a line break; returns the index after the break, or -1. */
function softLineBreakEnd(bytes: Uint8Array, from: number): number {
  let index = from;
  while (bytes[index] === SP || bytes[index] === TAB) index++;
  if (bytes[index] === LF) return index + 1;
  if (bytes[index] === CR && bytes[index + 1] === LF) return index + 2;
  if (index === bytes.length) return index;
  return -1;
}
