import type { ArchivePlace, ArchiveWalk } from './archive-walk.js';
import { baseName, reportableName } from './entry-name.js';
import { gzipOriginalName, nameWithoutGzipSuffix } from './gzip-header.js';
import { admitEntry, unpackCompressed } from './unpack-entry.js';

const UNNAMED_CONTENT = '(gzip content)';

/** A gzip file holds one file (concatenated members unpack as one); a .tar.gz is then descended as a tar. */
export async function inspectGzip(content: Buffer, archive: ArchivePlace, walk: ArchiveWalk): Promise<void> {
  const innerName = gzipOriginalName(content) ?? nameWithoutGzipSuffix(archive.fileName) ?? UNNAMED_CONTENT;
  const entryPath = [...archive.path, reportableName(innerName)];
  if (!admitEntry(walk, entryPath)) return;

  const result = await unpackCompressed(content, 'gzip', walk, entryPath);
  if (result.status === 'refused') return;
  if (result.status === 'damaged') {
    walk.findings.corrupt(archive.path);
    if (result.data.length === 0) return;
  }
  await walk.unpacked(result.data, { path: entryPath, fileName: baseName(innerName), containerDepth: archive.depth });
}
