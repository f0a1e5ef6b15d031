import type { ExtractionBudget } from './budget.js';
import type { FindingLog } from './finding-log.js';
import type { ArchiveLimits } from './limits.js';

/** Where an archive sits: the entry names leading to it from the inspected attachment. */
export interface ArchivePlace {
  /** Reportable entry names from the attachment down to this archive; empty for the attachment itself. */
  readonly path: readonly string[];
  readonly fileName?: string;
  /** Nesting level: the attachment is 1. */
  readonly depth: number;
}

/** One file that came out of an archive. */
export interface UnpackedEntry {
  readonly path: readonly string[];
  /** The entry's own name as the archive spells it, last path segment only. */
  readonly fileName: string;
  readonly containerDepth: number;
}

/** What every format inspector shares during one inspection: limits, counters, findings, and where entries go. */
export interface ArchiveWalk {
  readonly limits: ArchiveLimits;
  readonly budget: ExtractionBudget;
  readonly findings: FindingLog;
  /** Descends into the entry when it is an archive, otherwise hands it to the caller's onFile. */
  unpacked(file: Buffer, entry: UnpackedEntry): Promise<void>;
}

/**
 * Carries an error thrown by the caller's onFile through the format inspectors, which turn every
 * other error into an Archive.Corrupt finding.
 */
export class CallbackFailure extends Error {
  constructor(readonly original: unknown) {
    super('onFile failed', { cause: original });
  }
}

export function rethrowCallbackFailure(error: unknown): void {
  if (error instanceof CallbackFailure) throw error;
}
