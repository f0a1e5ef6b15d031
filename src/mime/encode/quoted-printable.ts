// Quoted-printable encoding (RFC 2045 §6.7) for notices. Line breaks of the input become hard line breaks;
// a "-" opening a line is encoded so no line of ours can ever be read as a multipart delimiter.
import type { LineEnding } from '../bytes.js';

const MAX_LINE = 76;
const HEX = '0123456789ABCDEF';

export function encodeQuotedPrintable(text: string, eol: LineEnding): string {
  return text
    .split(/\r?\n/)
    .map((line) => encodeLine(Buffer.from(line, 'utf8'), eol))
    .join(eol);
}

function encodeLine(bytes: Buffer, eol: LineEnding): string {
  const tokens: string[] = [];
  bytes.forEach((byte, index) => {
    const last = index === bytes.length - 1;
    const literal =
      (byte >= 0x21 && byte <= 0x7e && byte !== 0x3d && !(index === 0 && byte === 0x2d)) || ((byte === 0x20 || byte === 0x09) && !last);
    tokens.push(literal ? String.fromCharCode(byte) : `=${HEX[byte >> 4]}${HEX[byte & 15]}`);
  });
  let output = '';
  let lineLength = 0;
  for (const token of tokens) {
    if (lineLength + token.length > MAX_LINE - 1) {
      output += `=${eol}`;
      lineLength = 0;
    }
    output += token;
    lineLength += token.length;
  }
  return output;
}
