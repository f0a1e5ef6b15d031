import { inspectArchive, defaultArchiveLimits, inflateMeter, INFLATE_CHUNK_BYTES, type ArchiveInfo, type ArchiveLimits } from '../../../../src/scan/archive/index.js';
import type { ContentInfo } from '../../../../src/scan/types.js';
import type { Finding } from '../../../../src/types/verdict.js';

export interface Delivered {
  data: Buffer;
  info: ContentInfo;
}

export interface Inspection {
  files: Delivered[];
  findings: Finding[];
}

export async function inspectCollecting(
  content: Buffer,
  info: ArchiveInfo = { location: [] },
  limits: Partial<ArchiveLimits> = {},
): Promise<Inspection> {
  const files: Delivered[] = [];
  const findings = await inspectArchive(content, info, { ...defaultArchiveLimits, ...limits }, async (data, fileInfo) => {
    files.push({ data: Buffer.from(data), info: fileInfo });
  });
  return { files, findings };
}

export function findingNames(inspection: Inspection): string[] {
  return inspection.findings.map((finding) => finding.name);
}

/** Runs `work` and counts the inflating it caused: calls and bytes produced (kept or dropped at a cap). */
export async function countingInflate<T>(work: () => Promise<T>): Promise<{ result: T; inflatedBytes: number; inflateCalls: number }> {
  const before = { ...inflateMeter };
  const result = await work();
  return { result, inflatedBytes: inflateMeter.bytes - before.bytes, inflateCalls: inflateMeter.calls - before.calls };
}

/**
 * The most a walk may inflate under `limits`: the total budget, plus what one inflate produces past
 * its cap before it notices (one chunk) for every inflate started.
 */
export function inflateBound(limits: ArchiveLimits, inflateCalls: number): number {
  return limits.maxUnpackedBytes + inflateCalls * INFLATE_CHUNK_BYTES;
}

export const MiB = 1024 * 1024;
