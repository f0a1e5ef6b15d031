/** A Buffer on a SharedArrayBuffer: passed to a worker thread it is shared, not copied. */
export function sharedBuffer(length: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(length));
}

/** The same bytes on shared memory (one copy, made by the caller's thread). */
export function toSharedBuffer(bytes: Buffer): Buffer {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = sharedBuffer(bytes.length);
  bytes.copy(shared);
  return shared;
}
