// Digests of one file's bytes, computed at most once per algorithm: the verdict store lookup
// (analysis/known-parts.ts) and the builtin engine's hash signatures ask for the same SHA-256 of a
// decoded part. Remembered by the Buffer object for as long as it lives.
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256';

const remembered = new WeakMap<Buffer, Map<DigestAlgorithm, string>>();

export function knownDigest(content: Buffer, algorithm: DigestAlgorithm): string | undefined {
  return remembered.get(content)?.get(algorithm);
}

export function rememberDigest(content: Buffer, algorithm: DigestAlgorithm, hex: string): void {
  let digests = remembered.get(content);
  if (!digests) remembered.set(content, (digests = new Map()));
  digests.set(algorithm, hex);
}

/** The hex digest, computed now unless it already was. */
export function digestOf(content: Buffer, algorithm: DigestAlgorithm): string {
  const known = knownDigest(content, algorithm);
  if (known !== undefined) return known;
  const hex = createHash(algorithm).update(content).digest('hex');
  rememberDigest(content, algorithm, hex);
  return hex;
}
