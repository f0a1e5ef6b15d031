import type { ArchiveWalk } from './archive-walk.js';
import { inflateBounded, type CompressedFormat } from './bounded-inflate.js';
import { ArchiveFindingName } from './finding-names.js';

export type UnpackResult =
  | { status: 'unpacked'; data: Buffer }
  /** Damaged data: what could be recovered is still worth scanning. */
  | { status: 'damaged'; data: Buffer }
  /** A limit was hit and reported; the entry is not delivered. */
  | { status: 'refused' };

/** Inflates one entry within the remaining budget and the per-entry ratio, reporting the limit that stops it. */
export async function unpackCompressed(
  compressed: Buffer,
  format: CompressedFormat,
  walk: ArchiveWalk,
  entryPath: readonly string[],
): Promise<UnpackResult> {
  const { budget, limits, findings } = walk;
  const ratioCap = Math.max(limits.ratioExemptBytes, limits.maxRatio * compressed.length);
  const budgetBinds = budget.bytesLeft <= ratioCap;
  const outcome = await inflateBounded(compressed, format, Math.min(budget.bytesLeft, ratioCap));

  if (outcome.status === 'over-cap') {
    budget.consume(outcome.produced);
    if (budgetBinds) {
      findings.limit(ArchiveFindingName.SizeExceeded, entryPath);
      budget.stop();
    } else {
      findings.limit(ArchiveFindingName.RatioExceeded, entryPath);
    }
    return { status: 'refused' };
  }
  budget.consume(outcome.data.length);
  return outcome.status === 'complete' ? { status: 'unpacked', data: outcome.data } : { status: 'damaged', data: outcome.data };
}

/** Takes an entry stored without compression, which still counts against the unpacked-bytes budget. */
export function takeStored(data: Buffer, walk: ArchiveWalk, entryPath: readonly string[]): UnpackResult {
  return reserveBytes(data.length, walk, entryPath) ? { status: 'unpacked', data } : { status: 'refused' };
}

/** Charges `size` bytes to the budget; when they do not fit, reports it and stops the whole inspection. */
export function reserveBytes(size: number, walk: ArchiveWalk, entryPath: readonly string[]): boolean {
  if (size > walk.budget.bytesLeft) {
    walk.findings.limit(ArchiveFindingName.SizeExceeded, entryPath);
    walk.budget.stop();
    return false;
  }
  walk.budget.consume(size);
  return true;
}

/** Counts the entry against maxFiles; when it is one too many, reports it and stops the whole inspection. */
export function admitEntry(walk: ArchiveWalk, entryPath: readonly string[]): boolean {
  if (walk.budget.admitFile()) return true;
  walk.findings.limit(ArchiveFindingName.FilesExceeded, entryPath);
  walk.budget.stop();
  return false;
}
