import { createGunzip, createInflateRaw } from 'node:zlib';

export type CompressedFormat = 'deflate-raw' | 'gzip';

export type InflateOutcome =
  | { status: 'complete'; data: Buffer }
  /** Output passed the cap; inflating stopped there and the output was dropped. */
  | { status: 'over-cap'; produced: number }
  /** The stream is damaged; data is what came out before the damage. */
  | { status: 'damaged'; data: Buffer; reason: string };

export const CHUNK_SIZE = 64 * 1024;

/** Work done by every inflate in this process (tests and benchmarks count it instead of timing). */
export const inflateMeter = { calls: 0, bytes: 0 };

/**
 * Inflates with a running count of output bytes and aborts the moment it passes `cap`, so memory
 * and work stay bounded whatever sizes the archive declares.
 */
export function inflateBounded(compressed: Buffer, format: CompressedFormat, cap: number): Promise<InflateOutcome> {
  return new Promise((resolve) => {
    const inflater = format === 'gzip' ? createGunzip({ chunkSize: CHUNK_SIZE }) : createInflateRaw({ chunkSize: CHUNK_SIZE });
    const chunks: Buffer[] = [];
    let produced = 0;
    let settled = false;
    const settle = (outcome: InflateOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };

    inflateMeter.calls++;
    inflater.on('data', (chunk: Buffer) => {
      if (settled) return;
      produced += chunk.length;
      inflateMeter.bytes += chunk.length;
      if (produced > cap) {
        chunks.length = 0;
        inflater.destroy();
        settle({ status: 'over-cap', produced });
        return;
      }
      chunks.push(chunk);
    });
    inflater.on('error', (error: Error) => {
      settle({ status: 'damaged', data: Buffer.concat(chunks), reason: error.message });
    });
    inflater.on('end', () => {
      settle({ status: 'complete', data: Buffer.concat(chunks, produced) });
    });
    inflater.end(compressed);
  });
}
