import { sharedMemory } from './shared-memory-collection.js';

/** A Buffer on a SharedArrayBuffer: passed to a worker thread it is shared, not copied. */
export function sharedBuffer(length: number): Buffer {
  const shared = new SharedArrayBuffer(length);
  sharedMemory.took(shared);
  return Buffer.from(shared);
}

/** The same bytes on shared memory (one copy, made by the caller's thread). */
export function toSharedBuffer(bytes: Buffer): Buffer {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = sharedBuffer(bytes.length);
  bytes.copy(shared);
  return shared;
}

/** Shared bytes that came from another thread: this thread's handle keeps them alive too, until it collects it. */
export function receivedShared(bytes: Uint8Array | undefined): void {
  if (bytes?.buffer instanceof SharedArrayBuffer) sharedMemory.took(bytes.buffer);
}
