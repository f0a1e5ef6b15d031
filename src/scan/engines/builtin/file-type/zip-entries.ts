// Entry names of a zip file from its central directory (found through the end-of-central-directory
// record, ZIP64 included), without decompressing anything. A zip whose central directory is missing
// or damaged falls back to the names in its local file headers.
import { uint16le, uint32le, uint64le } from './bytes.js';

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const LOCAL_HEADER = Buffer.from('PK\x03\x04', 'latin1');
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const MAX_ZIP_ENTRIES = 100_000;

function findEndOfCentralDirectory(content: Buffer): number {
  const lowest = Math.max(0, content.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = content.length - EOCD_SIZE; at >= lowest; at--) {
    if (content[at] === 0x50 && uint32le(content, at) === EOCD_SIGNATURE) return at;
  }
  return -1;
}

interface CentralDirectory {
  offset: number;
  size: number;
  entries: number;
}

function locateCentralDirectory(content: Buffer, eocd: number): CentralDirectory | undefined {
  let entries = uint16le(content, eocd + 10)!;
  let size = uint32le(content, eocd + 12)!;
  let offset = uint32le(content, eocd + 16)!;
  if (entries === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    if (uint32le(content, locator) !== ZIP64_LOCATOR_SIGNATURE) return undefined;
    const zip64 = uint64le(content, locator + 8);
    if (zip64 === undefined || uint32le(content, zip64) !== ZIP64_EOCD_SIGNATURE) return undefined;
    entries = uint64le(content, zip64 + 32) ?? 0;
    size = uint64le(content, zip64 + 40) ?? 0;
    offset = uint64le(content, zip64 + 48) ?? 0;
  }
  // Self-extractors and other prefixed zips: offsets are relative to the zip's own start.
  if (uint32le(content, offset) !== CENTRAL_HEADER_SIGNATURE && eocd - size >= 0) offset = eocd - size;
  return { offset, size, entries };
}

function centralDirectoryNames(content: Buffer, directory: CentralDirectory): string[] | undefined {
  const names: string[] = [];
  let at = directory.offset;
  const limit = Math.min(directory.entries, MAX_ZIP_ENTRIES);
  while (names.length < limit) {
    if (uint32le(content, at) !== CENTRAL_HEADER_SIGNATURE) return names.length > 0 ? names : undefined;
    const nameLength = uint16le(content, at + 28)!;
    const extraLength = uint16le(content, at + 30)!;
    const commentLength = uint16le(content, at + 32)!;
    if (at + 46 + nameLength > content.length) break;
    names.push(content.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

function localHeaderNames(content: Buffer): string[] {
  const names: string[] = [];
  for (let at = content.indexOf(LOCAL_HEADER); at !== -1 && names.length < MAX_ZIP_ENTRIES; at = content.indexOf(LOCAL_HEADER, at + 4)) {
    const nameLength = uint16le(content, at + 26);
    if (nameLength === undefined || at + 30 + nameLength > content.length) break;
    names.push(content.toString('utf8', at + 30, at + 30 + nameLength));
  }
  return names;
}

export function zipEntryNames(content: Buffer): string[] {
  const eocd = findEndOfCentralDirectory(content);
  if (eocd >= 0) {
    const directory = locateCentralDirectory(content, eocd);
    const names = directory && centralDirectoryNames(content, directory);
    if (names) return names;
  }
  return localHeaderNames(content);
}
