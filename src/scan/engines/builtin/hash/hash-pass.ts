// Incremental hashing of one file with just the algorithms the database needs; fed slice by slice
// so that the caller can yield to the event loop between slices. A digest already computed for the
// same bytes (the part's SHA-256 for the verdict store) is taken as it is, and what is computed here
// is remembered for the next one who asks.
import { createHash, type Hash } from 'node:crypto';
import { knownDigest, rememberDigest } from '../../../content-digest.js';
import type { Digests } from './hash-database.js';
import type { HashAlgorithm } from './hash-line.js';

export class HashPass {
  private readonly hashes: Array<[HashAlgorithm, Hash]> = [];
  private readonly known: Digests = {};

  constructor(
    algorithms: HashAlgorithm[],
    private readonly content?: Buffer,
  ) {
    for (const algorithm of algorithms) {
      const known = content && knownDigest(content, algorithm);
      if (known !== undefined) this.known[algorithm] = known;
      else this.hashes.push([algorithm, createHash(algorithm)]);
    }
  }

  /** Nothing left to hash. */
  get idle(): boolean {
    return this.hashes.length === 0;
  }

  update(slice: Uint8Array): void {
    for (const [, hash] of this.hashes) hash.update(slice);
  }

  digests(): Digests {
    const digests: Digests = { ...this.known };
    for (const [algorithm, hash] of this.hashes) {
      digests[algorithm] = hash.digest('hex');
      if (this.content) rememberDigest(this.content, algorithm, digests[algorithm]);
    }
    return digests;
  }
}
