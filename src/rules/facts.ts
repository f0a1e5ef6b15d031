// What rules look at, one plain object per level. Builders from the scanner's own types live in ../scan/build-facts.ts.
import type { DetectedType, Verdict } from '../types/verdict.js';

export interface FilteringFacts {
  /** Addresses, lower case. */
  from: readonly string[];
  /** Address of the Sender header, lower case, when present. */
  sender?: string;
  to: readonly string[];
  cc: readonly string[];
  subject?: string;
  /** Every header field; names lower case. */
  headers: readonly { name: string; value: string }[];
  /** Message size in bytes. */
  size: number;
  hasAttachments: boolean;
  upstreamHost: string;
  upstreamIp?: string;
  listener: string;
  user?: string;
  /** Client application, as identified by the prelude (IMAP ID, process name). */
  application?: string;
}

export interface AttachmentFacts {
  fileName?: string;
  /** Declared MIME type, lower case. */
  declaredType: string;
  /** Unknown when the part was not scanned (e.g. skip-part-scan). */
  detectedType?: DetectedType;
  size: number;
  insideArchive: boolean;
  encrypted: boolean;
  hasMacros: boolean;
  doubleExtension: boolean;
  bidiName: boolean;
  /** The part's own verdict from the scan; absent when the part was not scanned (skip-part-scan). */
  partVerdict?: Verdict;
  /** Detection names found in this part. */
  detections: readonly string[];
}

export interface ResultFacts {
  verdict: Verdict;
  detections: readonly string[];
  engines: readonly string[];
}

export interface FactsByLevel {
  filtering: FilteringFacts;
  attachment: AttachmentFacts;
  result: ResultFacts;
}
