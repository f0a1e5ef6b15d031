const FLAG_EXTRA = 0x04;
const FLAG_NAME = 0x08;
const FIXED_HEADER_SIZE = 10;

/** The original file name stored in a gzip header (FNAME, ISO 8859-1), if there is one. */
export function gzipOriginalName(content: Buffer): string | undefined {
  if (content.length < FIXED_HEADER_SIZE) return undefined;
  const flags = content[3];
  if ((flags & FLAG_NAME) === 0) return undefined;

  let offset = FIXED_HEADER_SIZE;
  if ((flags & FLAG_EXTRA) !== 0) {
    if (offset + 2 > content.length) return undefined;
    offset += 2 + content.readUInt16LE(offset);
  }
  const end = content.indexOf(0, offset);
  if (end < 0) return undefined;
  const name = content.subarray(offset, end).toString('latin1');
  return name.length > 0 ? name : undefined;
}

/** "notes.txt.gz" held "notes.txt", "logs.tgz" held "logs.tar". */
export function nameWithoutGzipSuffix(fileName: string | undefined): string | undefined {
  if (fileName === undefined) return undefined;
  if (/\.tgz$/i.test(fileName)) return fileName.replace(/\.tgz$/i, '.tar');
  const stripped = fileName.replace(/\.(gz|gzip)$/i, '');
  return stripped !== fileName && stripped.length > 0 ? stripped : undefined;
}
