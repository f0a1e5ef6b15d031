// Counts the bytes hashed with SHA-256 (node:crypto createHash('sha256')) until `run` has settled, so a
// test can assert which parts a scan hashed instead of timing it. Counts this thread only.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { Hash } from 'node:crypto';

const require = createRequire(import.meta.url);

export async function sha256Bytes<T>(run: () => T | Promise<T>): Promise<{ result: T; bytes: number }> {
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const createHash = crypto.createHash;
  let bytes = 0;
  crypto.createHash = ((algorithm: string, options?: unknown) => {
    const hash = (createHash as (algorithm: string, options?: unknown) => Hash)(algorithm, options);
    if (algorithm.toLowerCase() !== 'sha256') return hash;
    const update = hash.update.bind(hash) as (data: unknown, encoding?: unknown) => Hash;
    hash.update = ((data: unknown, encoding?: unknown) => {
      bytes += typeof data === 'string' ? Buffer.byteLength(data, encoding as BufferEncoding | undefined) : (data as Uint8Array).byteLength;
      return update(data, encoding);
    }) as Hash['update'];
    return hash;
  }) as typeof crypto.createHash;
  // The ES module bindings (`import { createHash } from 'node:crypto'`) follow the patched export.
  syncBuiltinESMExports();
  try {
    return { result: await run(), bytes };
  } finally {
    crypto.createHash = createHash;
    syncBuiltinESMExports();
  }
}
