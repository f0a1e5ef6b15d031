export type ArchiveKind = 'zip' | 'gzip' | 'tar';

const ZIP_LOCAL_HEADER = Buffer.from('PK\x03\x04', 'latin1');
// An archive with no entries is just its end-of-central-directory record.
const ZIP_END_OF_DIRECTORY = Buffer.from('PK\x05\x06', 'latin1');
const ZIP_SPANNING_MARKER = Buffer.from('PK\x07\x08PK\x03\x04', 'latin1');
const GZIP_DEFLATE = Buffer.from([0x1f, 0x8b, 0x08]);
const USTAR_MAGIC = Buffer.from('ustar', 'latin1');
const USTAR_MAGIC_OFFSET = 257;
const TAR_BLOCK = 512;
// End of central directory record (22 bytes) plus the longest comment it can carry.
const ZIP_TAIL_SEARCH = 22 + 0xffff;

/**
 * Which archive format the bytes are, by their magic. The file name is only a hint: it lets a
 * zip with data in front of it (self-extracting) or an old-style tar without "ustar" be
 * recognised, but never turns bytes without the structure into an archive.
 */
export function archiveKind(content: Buffer, fileName?: string): ArchiveKind | undefined {
  if (startsWith(content, GZIP_DEFLATE)) return 'gzip';
  if (startsWith(content, ZIP_LOCAL_HEADER) || startsWith(content, ZIP_SPANNING_MARKER)) return 'zip';
  if (startsWith(content, ZIP_END_OF_DIRECTORY) && content.length >= 22) return 'zip';
  if (content.subarray(USTAR_MAGIC_OFFSET, USTAR_MAGIC_OFFSET + USTAR_MAGIC.length).equals(USTAR_MAGIC)) return 'tar';

  const name = fileName?.toLowerCase() ?? '';
  if (name.endsWith('.zip') && hasZipEndOfDirectory(content)) return 'zip';
  if (name.endsWith('.tar') && hasValidTarChecksum(content)) return 'tar';
  return undefined;
}

function startsWith(content: Buffer, magic: Buffer): boolean {
  return content.length >= magic.length && content.subarray(0, magic.length).equals(magic);
}

function hasZipEndOfDirectory(content: Buffer): boolean {
  const tail = content.subarray(Math.max(0, content.length - ZIP_TAIL_SEARCH));
  return tail.lastIndexOf(ZIP_END_OF_DIRECTORY) >= 0;
}

/** The header checksum counts the checksum field itself as eight spaces. */
function hasValidTarChecksum(content: Buffer): boolean {
  if (content.length < TAR_BLOCK) return false;
  const header = content.subarray(0, TAR_BLOCK);
  const field = header.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum === parseInt(field, 8);
}
