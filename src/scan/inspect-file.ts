import { archiveKind, inspectArchive, type ArchiveLimits } from './archive/index.js';
import type { Finding } from '../types/verdict.js';
import type { ContentEngine, ContentInfo, FileFacts } from './types.js';

export interface FileInspection {
  findings: Finding[];
  /** Engine failures, as "engine: message". */
  errors: string[];
  facts?: FileFacts;
}

export interface FileInspector {
  engines: readonly ContentEngine[];
  archiveLimits: ArchiveLimits;
  /** True type of a file from its content, for the findings' context and later rules. */
  facts?(content: Buffer, info: ContentInfo): FileFacts;
  /** facts() of a file from its first STREAM_HEAD_BYTES, undefined when they do not decide them. */
  factsFromHead?(head: Buffer, info: ContentInfo): FileFacts | undefined;
}

/**
 * Runs every engine on one file, and, when it is an archive, every engine except clamd on each file
 * inside (clamd unpacks archives itself, so it already saw them).
 */
export async function inspectFile(content: Buffer, info: ContentInfo, inspector: FileInspector, facts = inspector.facts?.(content, info)): Promise<FileInspection> {
  const result: FileInspection = { findings: [], errors: [], facts };
  await runEngines(inspector.engines, content, info, result);
  if (archiveKind(content, info.fileName)) {
    const unpackers = inspector.engines.filter((engine) => engine.name !== 'clamd');
    const archiveFindings = await inspectArchive(content, { fileName: info.fileName, location: info.location }, inspector.archiveLimits, (file, entry) =>
      runEngines(unpackers, file, entry, result),
    );
    result.findings.push(...archiveFindings);
  }
  return result;
}

async function runEngines(engines: readonly ContentEngine[], content: Buffer, info: ContentInfo, into: FileInspection): Promise<void> {
  const outcomes = await Promise.allSettled(engines.map((engine) => engine.scan(content, info)));
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') into.findings.push(...outcome.value);
    else into.errors.push(`${engines[index].name}: ${(outcome.reason as Error).message}`);
  });
}
