// The byte-by-byte base64 inspection and tolerant decoding the native fast path must agree with
// (the implementation before it, kept here as the reference).
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const INVALID = 255;
const PAD = 254;
const SPACE = 253;
const SEXTET = new Uint8Array(256).fill(INVALID);
for (let index = 0; index < ALPHABET.length; index++) SEXTET[ALPHABET.charCodeAt(index)] = index;
SEXTET[0x3d] = PAD;
for (const whitespace of [0x20, 0x09, 0x0d, 0x0a]) SEXTET[whitespace] = SPACE;

export function referenceInspection(bytes: Uint8Array): { invalidBytes: number; dataAfterPadding: boolean; remainder: number } {
  let characters = 0;
  let invalidBytes = 0;
  let padded = false;
  let dataAfterPadding = false;
  for (const byte of bytes) {
    const sextet = SEXTET[byte];
    if (sextet < 64) {
      characters++;
      if (padded) dataAfterPadding = true;
    } else if (sextet === PAD) padded = true;
    else if (sextet === INVALID) invalidBytes++;
  }
  return { invalidBytes, dataAfterPadding, remainder: characters % 4 };
}

export function referenceDecode(bytes: Uint8Array): Buffer {
  const output: number[] = [];
  let quantum = 0;
  let count = 0;
  const flushPartial = (): void => {
    if (count === 2) output.push((quantum >> 4) & 0xff);
    else if (count === 3) output.push((quantum >> 10) & 0xff, (quantum >> 2) & 0xff);
    quantum = 0;
    count = 0;
  };
  for (const byte of bytes) {
    const sextet = SEXTET[byte];
    if (sextet < 64) {
      quantum = (quantum << 6) | sextet;
      if (++count === 4) {
        output.push((quantum >> 16) & 0xff, (quantum >> 8) & 0xff, quantum & 0xff);
        quantum = 0;
        count = 0;
      }
    } else if (sextet === PAD) flushPartial();
  }
  flushPartial();
  return Buffer.from(output);
}
