// A transfer decoder fed slice by slice (decoded-slices.ts picks one per encoding and runs it).
export interface StreamDecoder {
  /** Decodes what it can of this slice (the slice may be reused by the caller once this returns). */
  write(encoded: Buffer): Buffer;
  /** What was held back, decoded; the decoder is done. */
  end(): Buffer;
}
