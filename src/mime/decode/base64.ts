// Tolerant base64 (RFC 2045 §6.8): whitespace and stray bytes are skipped, and decoding carries on after
// "=" padding (some mailers concatenate encoded chunks), so a scanner sees at least what any client sees.
// The inspection tells clean input from garbage so the caller can flag it: decodeBase64Inspected gives
// it with the decoded bytes at no extra pass, inspectBase64 alone for a caller that does not decode.
//
// Most bodies are regular: lines of the same number of base64 characters, each ended the same way.
// That part is checked and decoded natively (Node's decoder, about ten times the speed of a JS loop
// over every byte), and only what follows it (the last lines, padding, anything irregular) goes
// through the byte-by-byte loop. Node's decoder skips what is not base64 and stops at "=", so a chunk
// of 4n characters decodes to exactly 3n bytes only when every one of them is a base64 character; it
// also takes "-" and "_" (base64url), which are therefore kept out of the native part.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
export const INVALID = 255;
export const PAD = 254;
const SPACE = 253;

export const SEXTET = new Uint8Array(256).fill(INVALID);
for (let index = 0; index < ALPHABET.length; index++) SEXTET[ALPHABET.charCodeAt(index)] = index;
SEXTET[0x3d] = PAD;
for (const whitespace of [0x20, 0x09, 0x0d, 0x0a]) SEXTET[whitespace] = SPACE;

const LF = 0x0a;
const CR = 0x0d;
/**
 * About this many encoded bytes are decoded natively at a time (a multiple of 4 lines each). Each chunk
 * becomes a string; below V8's large-object size (128 KiB) it dies young in the new space instead of
 * waiting in the large-object space for a full collection (measured: fewer mark-compacts, less CPU).
 */
const CHUNK_BYTES = 1 << 16;
/** A body without line breaks leaves at least this much to the exact loop, where its padding is. */
const UNBROKEN_TAIL = 16;

export interface Base64Inspection {
  /** Bytes that are neither base64 characters, padding nor whitespace. */
  invalidBytes: number;
  /** Base64 characters after "=" padding. */
  dataAfterPadding: boolean;
  /** Count of base64 characters modulo 4; 1 means a truncated quantum that decodes to nothing. */
  remainder: number;
}

/** Bytes [0, end) hold only whole lines of base64 characters with their line ends: `characters` of them, a multiple of 4. */
export interface NativePrefix {
  end: number;
  characters: number;
  /** Bytes decoded into the sink. */
  written: number;
}

interface Layout {
  /** Characters per line and bytes per line end (0: one unbroken line). */
  lineChars: number;
  eolBytes: number;
  /** Whole lines, a multiple of 4, all but the last line of the body. */
  lines: number;
}

/** Where the first base64url byte ("-" or "_") is in bytes[0, end), or end. */
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
  // The last line often ends in padding: it goes to the exact loop, and so do lines from a base64url byte on.
  lines = Math.max(0, lines - 1);
  lines = Math.floor(base64UrlByte(bytes, lines * stride) / stride) & ~3;
  return lines > 0 ? { lineChars, eolBytes, lines } : undefined;
}

/**
 * Decodes the regular prefix natively, chunk by chunk, into `sink` from its start (when only checking,
 * a scratch buffer of one chunk that each chunk overwrites); stops before the first chunk that is not
 * all base64 characters.
 */
export function nativePrefix(bytes: Buffer, sink?: Buffer): NativePrefix {
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
    // Written straight into the output: no buffer per chunk to allocate and copy from.
    const decoded = target.write(bytes.toString('latin1', end, chunkEnd), sink ? written : 0, expected, 'base64');
    if (decoded !== expected) break;
    end = chunkEnd;
    characters += lines * layout.lineChars;
    written += expected;
  }
  return { end, characters, written };
}

interface ExactCount {
  characters: number;
  invalidBytes: number;
  dataAfterPadding: boolean;
}

function countExactly(bytes: Buffer): ExactCount {
  // Counting with comparisons rather than branches keeps this loop at several hundred MB/s in V8.
  let characters = 0;
  let invalidBytes = 0;
  for (let index = 0; index < bytes.length; index++) {
    const sextet = SEXTET[bytes[index]];
    characters += sextet < 64 ? 1 : 0;
    invalidBytes += sextet === INVALID ? 1 : 0;
  }
  let dataAfterPadding = false;
  const firstPad = bytes.indexOf(0x3d);
  if (firstPad !== -1) {
    for (let index = firstPad + 1; index < bytes.length && !dataAfterPadding; index++) dataAfterPadding = SEXTET[bytes[index]] < 64;
  }
  return { characters, invalidBytes, dataAfterPadding };
}

export function inspectBase64(bytes: Buffer): Base64Inspection {
  const prefix = nativePrefix(bytes);
  // The prefix holds no padding and no stray byte, so the rest alone decides those.
  const rest = countExactly(bytes.subarray(prefix.end));
  return { invalidBytes: rest.invalidBytes, dataAfterPadding: rest.dataAfterPadding, remainder: (prefix.characters + rest.characters) % 4 };
}

export function base64Problem(inspection: Base64Inspection): string | undefined {
  if (inspection.invalidBytes > 0) return `${inspection.invalidBytes} bytes that are not base64`;
  if (inspection.dataAfterPadding) return 'base64 continues after "=" padding';
  if (inspection.remainder === 1) return 'base64 ends in a truncated quantum';
  return undefined;
}

export function decodeBase64(bytes: Buffer): Buffer {
  return decodeBase64Inspected(bytes).bytes;
}

export interface InspectedBase64 {
  bytes: Buffer;
  inspection: Base64Inspection;
}

/** Decodes and inspects in one pass: the same bytes as decodeBase64, the same inspection as inspectBase64. */
export function decodeBase64Inspected(bytes: Buffer): InspectedBase64 {
  const output = Buffer.allocUnsafe(Math.ceil((bytes.length * 3) / 4) + 3);
  const prefix = nativePrefix(bytes, output);
  // The prefix ends on a whole quantum and holds no padding and no stray byte, so the tolerant
  // decoding of the rest starts afresh and alone decides those.
  const rest = decodeTolerantly(bytes.subarray(prefix.end), output, prefix.written);
  return {
    bytes: output.subarray(0, prefix.written + rest.written),
    inspection: { invalidBytes: rest.invalidBytes, dataAfterPadding: rest.dataAfterPadding, remainder: (prefix.characters + rest.characters) % 4 },
  };
}

interface TolerantDecoding extends ExactCount {
  /** Bytes written to the output. */
  written: number;
}

/** Decodes into output from `at`, counting what countExactly counts on the way. */
function decodeTolerantly(bytes: Buffer, output: Buffer, at: number): TolerantDecoding {
  let written = at;
  let quantum = 0;
  let count = 0;
  let characters = 0;
  let invalidBytes = 0;
  let padded = false;
  let dataAfterPadding = false;
  const flushPartial = (): void => {
    if (count === 2) output[written++] = (quantum >> 4) & 0xff;
    else if (count === 3) {
      output[written++] = (quantum >> 10) & 0xff;
      output[written++] = (quantum >> 2) & 0xff;
    }
    quantum = 0;
    count = 0;
  };
  for (let index = 0; index < bytes.length; index++) {
    const sextet = SEXTET[bytes[index]];
    if (sextet < 64) {
      characters++;
      if (padded) dataAfterPadding = true;
      quantum = (quantum << 6) | sextet;
      if (++count === 4) {
        output[written++] = (quantum >> 16) & 0xff;
        output[written++] = (quantum >> 8) & 0xff;
        output[written++] = quantum & 0xff;
        quantum = 0;
        count = 0;
      }
    } else if (sextet === PAD) {
      padded = true;
      flushPartial();
    } else if (sextet === INVALID) invalidBytes++;
  }
  flushPartial();
  return { written: written - at, characters, invalidBytes, dataAfterPadding };
}
