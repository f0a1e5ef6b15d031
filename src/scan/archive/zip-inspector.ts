import { rethrowCallbackFailure, type ArchivePlace, type ArchiveWalk } from './archive-walk.js';
import { baseName, reportableName } from './entry-name.js';
import { ArchiveFindingName } from './finding-names.js';
import { admitEntry } from './unpack-entry.js';
import { unpackZipEntry } from './zip-entry.js';
import { entryName, isDirectoryEntry, isStrongEncryptionError, openZip } from './zip-file.js';
import { locateEntry, spansOverlap, type EntrySpan } from './zip-layout.js';

/**
 * Two passes over the central directory: the first checks the layout of every entry (and refuses
 * overlapping ones) before anything is inflated, the second unpacks entry by entry.
 */
export async function inspectZip(content: Buffer, archive: ArchivePlace, walk: ArchiveWalk): Promise<void> {
  try {
    if (spansOverlap(await readEntrySpans(content))) {
      walk.findings.limit(ArchiveFindingName.OverlappingEntries, archive.path);
      return;
    }
    await unpackEntries(content, archive, walk);
  } catch (error) {
    rethrowCallbackFailure(error);
    if (isStrongEncryptionError(error)) walk.findings.encrypted(archive.path);
    else walk.findings.corrupt(archive.path);
  }
}

async function readEntrySpans(content: Buffer): Promise<EntrySpan[]> {
  const zip = await openZip(content);
  const spans: EntrySpan[] = [];
  for await (const entry of zip.eachEntry()) spans.push(locateEntry(content, entry));
  return spans;
}

async function unpackEntries(content: Buffer, archive: ArchivePlace, walk: ArchiveWalk): Promise<void> {
  const zip = await openZip(content);
  for await (const entry of zip.eachEntry()) {
    if (walk.budget.stopped) break;
    const name = entryName(entry);
    if (isDirectoryEntry(entry, name)) continue;

    const entryPath = [...archive.path, reportableName(name)];
    if (!admitEntry(walk, entryPath)) break;
    if (entry.isEncrypted()) {
      walk.findings.encrypted(entryPath);
      continue;
    }

    const result = await unpackZipEntry(content, entry, walk, entryPath);
    if (result.status === 'refused') continue;
    if (result.status === 'damaged') {
      walk.findings.corrupt(entryPath);
      if (result.data.length === 0) continue;
    }
    await walk.unpacked(result.data, { path: entryPath, fileName: baseName(name), containerDepth: archive.depth });
  }
}
