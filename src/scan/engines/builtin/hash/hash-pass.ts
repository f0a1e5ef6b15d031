// Incremental hashing of one file with just the algorithms the database needs; fed slice by slice
// so that the caller can yield to the event loop between slices.
import { createHash, type Hash } from 'node:crypto';
import type { Digests } from './hash-database.js';
import type { HashAlgorithm } from './hash-line.js';

export class HashPass {
  private readonly hashes: Array<[HashAlgorithm, Hash]>;

  constructor(algorithms: HashAlgorithm[]) {
    this.hashes = algorithms.map((algorithm) => [algorithm, createHash(algorithm)]);
  }

  get idle(): boolean {
    return this.hashes.length === 0;
  }

  update(slice: Uint8Array): void {
    for (const [, hash] of this.hashes) hash.update(slice);
  }

  digests(): Digests {
    const digests: Digests = {};
    for (const [algorithm, hash] of this.hashes) digests[algorithm] = hash.digest('hex');
    return digests;
  }
}
