import type { ArchiveLimits } from './limits.js';

/** The files and bytes still allowed across the whole recursion, and whether inspection has to stop. */
export class ExtractionBudget {
  private filesAdmitted = 0;
  private bytesUnpacked = 0;
  private stoppedFlag = false;

  constructor(private readonly limits: ArchiveLimits) {}

  /** Counts one more entry; false when that entry is one too many. */
  admitFile(): boolean {
    if (this.filesAdmitted >= this.limits.maxFiles) return false;
    this.filesAdmitted += 1;
    return true;
  }

  get bytesLeft(): number {
    return Math.max(0, this.limits.maxUnpackedBytes - this.bytesUnpacked);
  }

  consume(bytes: number): void {
    this.bytesUnpacked += bytes;
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** After a total limit is hit nothing more is unpacked anywhere in the recursion. */
  stop(): void {
    this.stoppedFlag = true;
  }
}
