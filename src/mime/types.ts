// Public vocabulary of the MIME layer: what walking a message reports about its parts.
import type { ByteSource } from './byte-source.js';

/** Half-open byte range [start, end) in the buffer that was walked. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface WalkLimits {
  /** Multipart and message/rfc822 levels below the top-level message. */
  maxDepth: number;
  /** MIME entities of any kind (leaves and containers). */
  maxParts: number;
  /** Header lines of one entity that are interpreted; the rest is skipped. */
  maxHeaderLines: number;
  /** Header bytes of one entity that are interpreted; the rest is skipped. */
  maxHeaderBytes: number;
}

export const DEFAULT_WALK_LIMITS: Readonly<WalkLimits> = Object.freeze({
  maxDepth: 50,
  maxParts: 10_000,
  maxHeaderLines: 10_000,
  maxHeaderBytes: 1024 * 1024,
});

/** What the MIME header of an entity says about its content. */
export interface PartDescription {
  /** "type/subtype", lower case. Defaults per RFC 2045/2046 when the header is missing. */
  contentType: string;
  /** Content-Type parameters, names lower case, values decoded (RFC 2231, RFC 2047, raw UTF-8). */
  params: Record<string, string>;
  /** Content-Disposition value, lower case. */
  disposition?: string;
  /** Decoded file name: Content-Disposition filename, else Content-Type name. */
  fileName?: string;
  charset?: string;
  /** Content-Transfer-Encoding, lower case; "7bit" when absent. */
  transferEncoding: string;
}

/**
 * One content-bearing part: a MIME leaf, or a uuencoded block found inside a text part.
 *
 * Ranges point into the buffer that was walked. Buffers returned by `rawHeader` and `decode()` may be
 * views of that buffer: do not write to them.
 */
export interface MimePart extends PartDescription {
  /**
   * IMAP part number (RFC 3501 §6.4.5), e.g. "1", "2.1". A uuencoded block is named after the text part
   * holding it: "1#uu1" is the first block in part 1.
   */
  path: string;
  origin: 'mime' | 'uuencode';
  /** Header block of the part as it is in the message, including the empty line that ends it. */
  rawHeader: Buffer;
  headerRange: ByteRange;
  /**
   * The encoded body. For a uuencoded block: the lines from "begin" through "end" when they stand verbatim
   * in the message, else (`insideEncodedText`) the body of the text part holding them.
   */
  bodyRange: ByteRange;
  /** The walked bytes that `headerRange` and `bodyRange` index into. */
  source: ByteSource;
  /** uuencode only: path of the text part holding the block. */
  containerPath?: string;
  /** uuencode only: the block sits in a quoted-printable or base64 text part, so has no range of its own. */
  insideEncodedText?: boolean;
  /**
   * Why this part could not be read cleanly; decode() still returns a best effort. For a base64 part
   * it is found by decoding: read after decode() it costs nothing, before it the body is checked then.
   */
  malformed?: string;
  /** The content with its transfer encoding undone. */
  decode(): Buffer;
  /**
   * The same content as slices, decoded from `source` a slice at a time (never whole); absent where the
   * encoding is not decoded that way (uuencode). A base64 part read to its end this way knows its
   * `malformed` without another pass.
   */
  decodeSlices?(): Generator<Buffer>;
}

/**
 * The work a walk did, so tests can assert it stays bounded (linear in the input, capped by the limits)
 * instead of timing it.
 */
export interface WalkWork {
  /** MIME entities read (bounded by maxParts). */
  entities: number;
  /** Deepest nesting entered (bounded by maxDepth). */
  maxDepth: number;
  /** Header lines looked at while finding where headers end. */
  headerLines: number;
  /** Lines starting with "--" compared against the open boundaries. */
  delimiterCandidates: number;
  /** Boundary comparisons made for those lines (at most candidates × open boundaries, and those ≤ maxDepth). */
  boundaryComparisons: number;
}

export function emptyWalkWork(): WalkWork {
  return { entities: 0, maxDepth: 0, headerLines: 0, delimiterCandidates: 0, boundaryComparisons: 0 };
}

export interface WalkResult {
  /** Leaves and uuencoded blocks in message order. */
  parts: MimePart[];
  /**
   * Set when the structure is broken, a limit was hit or a part is malformed; what could be found is
   * still in `parts`. Read after decoding the parts, it costs nothing (see MimePart.malformed).
   */
  malformed?: string;
  /** What the walk cost. */
  work?: WalkWork;
}

/** The defaults with every limit the caller set (undefined entries keep their default). */
export function resolveWalkLimits(limits: Partial<WalkLimits> = {}): WalkLimits {
  const resolved: WalkLimits = { ...DEFAULT_WALK_LIMITS };
  for (const key of Object.keys(resolved) as (keyof WalkLimits)[]) {
    const value = limits[key];
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}
