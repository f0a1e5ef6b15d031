/**
 * The bytes a walk read, by range: a buffer, or (for a body spilled to disk) a file that is never held
 * whole. A part's `headerRange` and `bodyRange` index into its source.
 */
export interface ByteSource {
  readonly length: number;
  /** Bytes [start, end). May be a view of memory the source keeps: do not write to it. */
  read(start: number, end: number): Buffer;
}

export function bufferSource(buffer: Buffer): ByteSource {
  return { length: buffer.length, read: (start, end) => buffer.subarray(start, end) };
}
