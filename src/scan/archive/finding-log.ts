import type { Finding } from '../../types/verdict.js';
import { ArchiveFindingName, type LimitFindingName } from './finding-names.js';

/**
 * Collects what the inspector reports about the archive itself. Locations are given as entry paths
 * inside the inspected archive and prefixed with the archive's own location.
 */
export class FindingLog {
  private readonly findings: Finding[] = [];
  private readonly limitsReported = new Set<LimitFindingName>();

  constructor(private readonly archiveLocation: readonly string[]) {}

  corrupt(entryPath: readonly string[]): void {
    this.add('malformed', ArchiveFindingName.Corrupt, entryPath);
  }

  encrypted(entryPath: readonly string[]): void {
    this.add('encrypted', ArchiveFindingName.Encrypted, entryPath);
  }

  /** Each limit is reported once, at the first place it was hit: a bomb would otherwise report thousands. */
  limit(name: LimitFindingName, entryPath: readonly string[]): void {
    if (this.limitsReported.has(name)) return;
    this.limitsReported.add(name);
    this.add('limit', name, entryPath);
  }

  all(): Finding[] {
    return [...this.findings];
  }

  private add(kind: Finding['kind'], name: string, entryPath: readonly string[]): void {
    this.findings.push({ engine: 'archive', name, kind, location: [...this.archiveLocation, ...entryPath] });
  }
}
