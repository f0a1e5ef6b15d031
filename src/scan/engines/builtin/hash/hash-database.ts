// Hash signatures indexed for O(1) lookups: one Map per algorithm keyed by "size:hash" (and "*:hash"
// for any-size signatures). Sizes are indexed too, so a file whose size no signature has is never
// hashed with that algorithm (clamd skips hashing the same way).
import type { HashAlgorithm, HashSignature } from './hash-line.js';

export type Digests = Partial<Record<HashAlgorithm, string>>;

const ALGORITHMS: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256'];

class AlgorithmIndex {
  readonly names = new Map<string, string[]>();
  readonly sizes = new Set<number>();
  anySize = false;

  add(signature: HashSignature): void {
    const key = `${signature.size}:${signature.hash}`;
    const names = this.names.get(key);
    if (names) {
      if (!names.includes(signature.name)) names.push(signature.name);
    } else {
      this.names.set(key, [signature.name]);
    }
    if (signature.size === '*') this.anySize = true;
    else this.sizes.add(signature.size);
  }

  wants(size: number): boolean {
    return this.anySize || this.sizes.has(size);
  }

  wantsAnyOf(minSize: number, maxSize: number): boolean {
    if (this.anySize) return true;
    for (const size of this.sizes) if (size >= minSize && size <= maxSize) return true;
    return false;
  }

  lookup(size: number, digest: string): string[] {
    return [...(this.names.get(`${size}:${digest}`) ?? []), ...(this.names.get(`*:${digest}`) ?? [])];
  }
}

export class HashDatabase {
  private readonly indexes = new Map<HashAlgorithm, AlgorithmIndex>(ALGORITHMS.map((a) => [a, new AlgorithmIndex()]));
  private count = 0;

  add(signature: HashSignature): void {
    this.indexes.get(signature.algorithm)!.add(signature);
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** The algorithms worth computing for a file of this size. */
  algorithmsFor(fileSize: number): HashAlgorithm[] {
    return ALGORITHMS.filter((algorithm) => this.indexes.get(algorithm)!.wants(fileSize));
  }

  /** The algorithms worth computing for a file whose size, known only at its end, lies in [minSize, maxSize]. */
  algorithmsForSizes(minSize: number, maxSize: number): HashAlgorithm[] {
    return ALGORITHMS.filter((algorithm) => this.indexes.get(algorithm)!.wantsAnyOf(minSize, maxSize));
  }

  /** Names of all signatures matching the digests (raw names, without the .UNOFFICIAL suffix). */
  match(fileSize: number, digests: Digests): string[] {
    const names: string[] = [];
    for (const algorithm of ALGORITHMS) {
      const digest = digests[algorithm];
      if (digest !== undefined) names.push(...this.indexes.get(algorithm)!.lookup(fileSize, digest));
    }
    return names;
  }
}
