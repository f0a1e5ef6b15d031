import tar from 'tar-stream';
import { rethrowCallbackFailure, type ArchivePlace, type ArchiveWalk } from './archive-walk.js';
import { baseName, reportableName } from './entry-name.js';
import { admitEntry, reserveBytes } from './unpack-entry.js';

type ExtractOptions = NonNullable<Parameters<typeof tar.extract>[0]> & {
  /** Accepted at run time but missing from tar-stream's own typings. */
  allowUnknownFormat: boolean;
};

/** Regular files only: links, devices, fifos and directories carry no content to scan. */
function isRegularFile(header: tar.Header): boolean {
  // tar-stream reports null for type flags it does not know.
  const type: string | null | undefined = header.type;
  return type === undefined || type === null || type === 'file' || type === 'contiguous-file';
}

export async function inspectTar(content: Buffer, archive: ArchivePlace, walk: ArchiveWalk): Promise<void> {
  // Old-style (v7) tars have no "ustar" magic; header checksums still reject garbage.
  const options: ExtractOptions = { allowUnknownFormat: true };
  const extract = tar.extract(options);
  extract.end(content);
  try {
    for await (const entry of extract) {
      if (walk.budget.stopped) break;
      if (!isRegularFile(entry.header)) {
        entry.resume();
        continue;
      }
      const name = entry.header.name;
      const entryPath = [...archive.path, reportableName(name)];
      if (!admitEntry(walk, entryPath)) break;

      // Tar data is stored, so the declared size is what will be read; charge it before reading.
      if (!reserveBytes(entry.header.size ?? 0, walk, entryPath)) break;
      const data = await readAll(entry);
      await walk.unpacked(data, { path: entryPath, fileName: baseName(name), containerDepth: archive.depth });
    }
  } catch (error) {
    rethrowCallbackFailure(error);
    walk.findings.corrupt(archive.path);
  } finally {
    extract.destroy();
  }
}

/** An entry read from an archive in memory arrives as one view of it, which is handed on without a copy. */
async function readAll(entry: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) {
    if (!Buffer.isBuffer(chunk)) throw new TypeError('tar entry produced a non-Buffer chunk');
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}
