import { inspectArchive, defaultArchiveLimits, type ArchiveInfo, type ArchiveLimits } from '../../../../src/scan/archive/index.js';
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

/** Runs `work` while sampling RSS; returns its result and the largest RSS growth seen. */
export async function measuringRss<T>(work: () => Promise<T>): Promise<{ result: T; rssGrowth: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 2);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, rssGrowth: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

export const MiB = 1024 * 1024;
