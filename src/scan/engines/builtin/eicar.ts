// The EICAR anti-virus test file, as its specification defines it: the 68-character string at the
// start of the file, optionally followed by whitespace (space, tab, LF, CR, Ctrl-Z only), and a
// total length of at most 128 bytes. The string elsewhere in a file is not the test file.
export const EICAR_STRING = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
/** The name ClamAV's official database gives it. */
export const EICAR_NAME = 'Eicar-Test-Signature';

const EICAR_BYTES = Buffer.from(EICAR_STRING, 'latin1');
const MAX_LENGTH = 128;
const ALLOWED_TRAILER = new Set([0x20, 0x09, 0x0a, 0x0d, 0x1a]);

export function isEicarTestFile(content: Uint8Array): boolean {
  if (content.length < EICAR_BYTES.length || content.length > MAX_LENGTH) return false;
  for (let i = 0; i < EICAR_BYTES.length; i++) if (content[i] !== EICAR_BYTES[i]) return false;
  for (let i = EICAR_BYTES.length; i < content.length; i++) if (!ALLOWED_TRAILER.has(content[i])) return false;
  return true;
}
