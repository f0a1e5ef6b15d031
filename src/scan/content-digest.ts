// Digests of one file's bytes, computed at most once per algorithm: the verdict store lookup
// (analysis/known-parts.ts) and the builtin engine's hash signatures ask for the same SHA-256 of a
// decoded part. Remembered by the Buffer object for as long as it lives; for a part streamed slice by
// slice, StreamedDigests runs each algorithm asked for once over the slices.
import { createHash, type Hash } from 'node:crypto';

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

/**
 * Digests of a file that is never held whole, updated once per slice by whoever reads the slices:
 * every party that needs a digest of the file (the verdict store lookup, the hash signatures) asks
 * for it before the first slice, so each algorithm runs once over the file.
 */
export class StreamedDigests {
  private readonly running = new Map<DigestAlgorithm, Hash>();
  private readonly finished = new Map<DigestAlgorithm, string>();
  private started = false;

  want(algorithm: DigestAlgorithm): void {
    if (this.started && !this.running.has(algorithm)) throw new Error(`digest ${algorithm} asked for after the first slice`);
    if (!this.running.has(algorithm)) this.running.set(algorithm, createHash(algorithm));
  }

  update(slice: Uint8Array): void {
    this.started = true;
    for (const hash of this.running.values()) hash.update(slice);
  }

  /** The hex digest of everything updated so far; no update may follow. */
  digest(algorithm: DigestAlgorithm): string {
    let hex = this.finished.get(algorithm);
    if (hex === undefined) {
      const hash = this.running.get(algorithm);
      if (!hash) throw new Error(`digest ${algorithm} was not asked for`);
      hex = hash.digest('hex');
      this.finished.set(algorithm, hex);
    }
    return hex;
  }
}
