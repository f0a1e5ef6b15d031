import { rethrowCallbackFailure, type ArchivePlace, type ArchiveWalk } from './archive-walk.js';
import { baseName, reportableName } from './entry-name.js';
import { ArchiveFindingName } from './finding-names.js';
import { admitEntry } from './unpack-entry.js';
import { unpackZipEntry } from './zip-entry.js';
import { entryName, isDirectoryEntry, isStrongEncryptionError, openZip } from './zip-file.js';
import { locateEntry, spansOverlap, type EntrySpan } from './zip-layout.js';
import type { Entry } from 'yauzl';

/**
 * Reads the central directory once; checks the layout of every entry (and refuses overlapping ones)
 * before anything is inflated, then unpacks entry by entry. A stored entry reaches the engines as a
 * view of the archive's bytes, not a copy.
 */
export async function inspectZip(content: Buffer, archive: ArchivePlace, walk: ArchiveWalk): Promise<void> {
  try {
    const { entries, spans } = await readEntries(content);
    if (spansOverlap(spans)) {
      walk.findings.limit(ArchiveFindingName.OverlappingEntries, archive.path);
      return;
    }
    await unpackEntries(content, entries, archive, walk);
  } catch (error) {
    rethrowCallbackFailure(error);
    if (isStrongEncryptionError(error)) walk.findings.encrypted(archive.path);
    else walk.findings.corrupt(archive.path);
  }
}

/** Each entry's layout is checked as it is read: a bad local header stops the reading there. */
async function readEntries(content: Buffer): Promise<{ entries: Entry[]; spans: EntrySpan[] }> {
  const zip = await openZip(content);
  const entries: Entry[] = [];
  const spans: EntrySpan[] = [];
  for await (const entry of zip.eachEntry()) {
    spans.push(locateEntry(content, entry));
    entries.push(entry);
  }
  return { entries, spans };
}

async function unpackEntries(content: Buffer, entries: readonly Entry[], archive: ArchivePlace, walk: ArchiveWalk): Promise<void> {
  for (const entry of entries) {
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
