// Shared vocabulary of the scanning layer. Engines look at one file's bytes; the pipeline walks MIME
// parts and archive entries, calls the engines, and combines their findings into a verdict
// (the result's vocabulary, Verdict and Finding, is in ../types/verdict.ts for rules/ and store/ too).
import type { DetectedType, EngineName, Finding } from '../types/verdict.js';

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
  close?(): Promise<void>;
}
