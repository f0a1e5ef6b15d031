// Shared vocabulary of the scanning layer. Engines look at one file's bytes; the pipeline walks MIME
// parts and archive entries, calls the engines, and combines their findings into a verdict
// (the result's vocabulary, Verdict and Finding, is in ../types/verdict.ts for rules/ and store/ too).
import type { DetectedType, EngineName, Finding } from '../types/verdict.js';
import type { StreamedDigests } from './content-digest.js';

/** A file handed to the engines: a decoded MIME part or an archive entry. */
export interface ContentInfo {
  fileName?: string;
  /** Declared MIME type (Content-Type of the part), lower case. */
  declaredType?: string;
  /** Archive entry path list leading to this file (empty for a MIME part). */
  location: string[];
  /** True when the file came out of an archive. */
  insideArchive: boolean;
}

export interface FileFacts {
  detectedType: DetectedType;
  /** OLE/OOXML with a VBA project (vbaProject.bin or a VBA storage). */
  hasMacros?: boolean;
  /** PDF with /JavaScript, /JS or /OpenAction. */
  pdfActive?: boolean;
}

/** A scanning engine over one file's bytes. Throwing means the engine failed: verdict "error". */
export interface ContentEngine {
  readonly name: EngineName;
  scan(content: Buffer, info: ContentInfo): Promise<Finding[]>;
  /**
   * The same scan over a file handed in slice by slice, for a file too large to hold whole. `opening`
   * gives its first bytes and the digests being computed of it. Undefined when this engine cannot
   * scan this file that way (the caller then decodes it whole and calls scan()).
   */
  open?(info: ContentInfo, opening: StreamOpening): ContentStream | undefined;
  close?(): Promise<void>;
}

/** A file is streamed only when it is longer than this; the engines get at least this much of it first. */
export const STREAM_HEAD_BYTES = 64 * 1024;

export interface StreamOpening {
  /** The file's first bytes, at least STREAM_HEAD_BYTES of them (the file is longer). */
  head: Buffer;
  /** The file is at most this long (its size is known only at the end). */
  maxSize: number;
  /** Digests the caller computes over every slice; an engine asks for the ones it needs when opened. */
  digests: StreamedDigests;
}

/** One file's scan, fed in order with every slice of the file (the head included). */
export interface ContentStream {
  /** The slice is only valid during the call; a returned promise is waited for before the next slice. */
  write(slice: Buffer): void | Promise<void>;
  /**
   * The file is complete: the findings, as scan() of the whole file gives them, or 'whole-file' when
   * the engine found it needs the whole file after all (the caller then decodes it and calls scan()).
   * Throws when the engine failed.
   */
  end(): Promise<Finding[] | 'whole-file'>;
  /** The file will not be completed (another engine's failure, the session ended): let go of what it holds. */
  abort(): void;
}
