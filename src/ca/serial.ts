import { randomBytes } from 'node:crypto';

/**
 * A random 16-byte serial as hex. The top bit is cleared so the integer is positive, and the
 * next one is set so the first byte is never zero: a leading zero byte would make the DER
 * encoding non-minimal, which strict parsers (Go's crypto/x509) reject.
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString('hex');
}
