import type { ContentInfo } from '../types.js';
import { archiveKind, type ArchiveKind } from './archive-kind.js';
import { CallbackFailure, type ArchivePlace, type ArchiveWalk, type UnpackedEntry } from './archive-walk.js';
import { ExtractionBudget } from './budget.js';
import type { FindingLog } from './finding-log.js';
import { ArchiveFindingName } from './finding-names.js';
import { inspectGzip } from './gzip-inspector.js';
import type { ArchiveLimits } from './limits.js';
import { inspectTar } from './tar-inspector.js';
import { inspectZip } from './zip-inspector.js';

export type FileHandler = (file: Buffer, info: ContentInfo) => Promise<void>;

const inspectors: Record<ArchiveKind, (content: Buffer, archive: ArchivePlace, walk: ArchiveWalk) => Promise<void>> = {
  zip: inspectZip,
  gzip: inspectGzip,
  tar: inspectTar,
};

/** Routes every unpacked entry: nested archives are opened (up to maxDepth), other files go to onFile. */
export class RecursiveWalk implements ArchiveWalk {
  readonly budget: ExtractionBudget;

  constructor(
    readonly limits: ArchiveLimits,
    readonly findings: FindingLog,
    /** ContentInfo.location of the inspected attachment; entry paths are appended to it. */
    private readonly attachmentLocation: readonly string[],
    private readonly onFile: FileHandler,
  ) {
    this.budget = new ExtractionBudget(limits);
  }

  async open(kind: ArchiveKind, content: Buffer, archive: ArchivePlace): Promise<void> {
    if (archive.depth > this.limits.maxDepth) {
      this.findings.limit(ArchiveFindingName.DepthExceeded, archive.path);
      return;
    }
    await inspectors[kind](content, archive, this);
  }

  async unpacked(file: Buffer, entry: UnpackedEntry): Promise<void> {
    const kind = archiveKind(file, entry.fileName);
    if (kind !== undefined) {
      await this.open(kind, file, { path: entry.path, fileName: entry.fileName, depth: entry.containerDepth + 1 });
      return;
    }
    const info: ContentInfo = {
      fileName: entry.fileName,
      location: [...this.attachmentLocation, ...entry.path],
      insideArchive: true,
    };
    try {
      await this.onFile(file, info);
    } catch (error) {
      throw new CallbackFailure(error);
    }
  }
}
