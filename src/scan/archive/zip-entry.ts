import { crc32 } from 'node:zlib';
import type { Entry } from 'yauzl';
import type { ArchiveWalk } from './archive-walk.js';
import { ArchiveFindingName } from './finding-names.js';
import { takeStored, unpackCompressed, type UnpackResult } from './unpack-entry.js';
import { locateEntry } from './zip-layout.js';

const STORED = 0;
const DEFLATED = 8;

/** Unpacks one unencrypted entry; a size or CRC that differs from the central directory marks it damaged. */
export async function unpackZipEntry(
  content: Buffer,
  entry: Entry,
  walk: ArchiveWalk,
  entryPath: readonly string[],
): Promise<UnpackResult> {
  const span = locateEntry(content, entry);
  const compressed = content.subarray(span.dataStart, span.dataEnd);

  let result: UnpackResult;
  // Some writers mark an empty file as deflated without writing even an empty deflate block.
  if (entry.compressionMethod === STORED || compressed.length === 0) {
    result = takeStored(compressed, walk, entryPath);
  } else if (entry.compressionMethod === DEFLATED) {
    result = await unpackCompressed(compressed, 'deflate-raw', walk, entryPath);
  } else {
    walk.findings.limit(ArchiveFindingName.UnsupportedMethod, entryPath);
    return { status: 'refused' };
  }

  if (result.status === 'unpacked' && !matchesDirectory(result.data, entry)) return { status: 'damaged', data: result.data };
  return result;
}

function matchesDirectory(data: Buffer, entry: Entry): boolean {
  return data.length === entry.uncompressedSize && crc32(data) === entry.crc32;
}
