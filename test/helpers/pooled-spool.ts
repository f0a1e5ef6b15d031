// A body held as the proxy holds a FETCH literal: its size announced, arriving in socket-sized 16 KiB
// chunks (each a buffer of its own, as sockets give them), copied into a segment of `segments`.
import { BodySpool } from '../../src/proxy/body-spool.js';
import type { SegmentPool } from '../../src/scan/segment-pool.js';

const MEMORY_LIMIT = 16 * 1024 * 1024;
const CHUNK = 16_384;

export function pooledSpool(bytes: Buffer, segments: SegmentPool): BodySpool {
  const spool = new BodySpool(MEMORY_LIMIT, { announcedSize: bytes.length, segments });
  for (let offset = 0; offset < bytes.length; offset += CHUNK) spool.append(Buffer.from(bytes.subarray(offset, offset + CHUNK)));
  return spool;
}
