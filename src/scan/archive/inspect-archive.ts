import type { Finding } from '../../types/verdict.js';
import { archiveKind } from './archive-kind.js';
import { CallbackFailure } from './archive-walk.js';
import { FindingLog } from './finding-log.js';
import type { ArchiveLimits } from './limits.js';
import { RecursiveWalk, type FileHandler } from './recursive-walk.js';

export interface ArchiveInfo {
  /** The attachment's file name: a hint for the format, and the first element of finding locations. */
  fileName?: string;
  /** ContentInfo.location of the attachment (empty for a MIME part). */
  location: string[];
}

/**
 * Calls onFile for every non-archive file inside `content` (nested archives are descended, up to
 * maxDepth) and returns findings about the archive itself: limits hit, encrypted entries, damage.
 *
 * Files reach onFile one at a time with ContentInfo.location = info.location + entry path. Finding
 * locations start with info.location, or with info.fileName when that is empty, as Finding.location
 * describes. Content that is no archive yields no calls and no findings. A damaged archive never
 * throws; only an error thrown by onFile itself is passed on.
 */
export async function inspectArchive(
  content: Buffer,
  info: ArchiveInfo,
  limits: ArchiveLimits,
  onFile: FileHandler,
): Promise<Finding[]> {
  const kind = archiveKind(content, info.fileName);
  if (kind === undefined) return [];

  const findings = new FindingLog(findingLocation(info));
  const walk = new RecursiveWalk(limits, findings, info.location, onFile);
  try {
    await walk.open(kind, content, { path: [], fileName: info.fileName, depth: 1 });
  } catch (error) {
    if (error instanceof CallbackFailure) throw error.original;
    // Format inspectors report their own damage; a parser surprise that still gets here is damage too.
    findings.corrupt([]);
  }
  return findings.all();
}

function findingLocation(info: ArchiveInfo): string[] {
  if (info.location.length > 0) return info.location;
  return info.fileName !== undefined ? [info.fileName] : [];
}
