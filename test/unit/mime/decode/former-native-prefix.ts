// nativePrefix as it was before it checked, searched and decoded chunk by chunk (one pass over the whole
// body per check first): kept as the reference the chunked version must agree with.
const LF = 0x0a;
const CR = 0x0d;
const CHUNK_BYTES = 1 << 16;
const UNBROKEN_TAIL = 16;

interface Layout {
  lineChars: number;
  eolBytes: number;
  lines: number;
}

function base64UrlByte(bytes: Buffer, end: number): number {
  const region = bytes.subarray(0, end);
  const dash = region.indexOf(0x2d);
  const underscore = region.indexOf(0x5f);
  return Math.min(dash === -1 ? end : dash, underscore === -1 ? end : underscore);
}

function regularLayout(bytes: Buffer): Layout | undefined {
  const length = bytes.length;
  const newline = bytes.indexOf(LF);
  if (newline === -1) {
    const lineChars = base64UrlByte(bytes, Math.max(0, length - UNBROKEN_TAIL)) & ~3;
    return lineChars > 0 ? { lineChars, eolBytes: 0, lines: 1 } : undefined;
  }
  const eolBytes = newline > 0 && bytes[newline - 1] === CR ? 2 : 1;
  const lineChars = newline + 1 - eolBytes;
  if (lineChars === 0) return undefined;
  const stride = lineChars + eolBytes;
  let lines = 0;
  for (let end = stride; end <= length && bytes[end - 1] === LF && (eolBytes === 1 || bytes[end - 2] === CR); end += stride) lines++;
  lines = Math.max(0, lines - 1);
  lines = Math.floor(base64UrlByte(bytes, lines * stride) / stride) & ~3;
  return lines > 0 ? { lineChars, eolBytes, lines } : undefined;
}

export function formerNativePrefix(bytes: Buffer, sink?: Buffer): { end: number; characters: number; written: number; scratchLength?: number } {
  const layout = regularLayout(bytes);
  if (!layout) return { end: 0, characters: 0, written: 0 };
  const stride = layout.lineChars + layout.eolBytes;
  const linesPerChunk = Math.max(4, Math.floor(CHUNK_BYTES / stride) & ~3);
  const target = sink ?? Buffer.allocUnsafe((Math.min(linesPerChunk, layout.lines) * layout.lineChars * 3) / 4);
  let end = 0;
  let characters = 0;
  let written = 0;
  for (let line = 0; line < layout.lines; line += linesPerChunk) {
    const lines = Math.min(linesPerChunk, layout.lines - line);
    const chunkEnd = end + lines * stride;
    const expected = (lines * layout.lineChars * 3) / 4;
    const decoded = target.write(bytes.toString('latin1', end, chunkEnd), sink ? written : 0, expected, 'base64');
    if (decoded !== expected) break;
    end = chunkEnd;
    characters += lines * layout.lineChars;
    written += expected;
  }
  return { end, characters, written };
}
