import yauzl, { type Entry, type ZipFile } from 'yauzl';

/** Central directories opened in this process (tests count them instead of timing). */
export const zipDirectoryMeter = { opens: 0 };

/**
 * Opens the central directory. Names stay undecoded (decodeStrings: false) because yauzl would
 * reject the whole archive for an absolute or "../" entry name; names are only reported here,
 * never used as paths, so such an entry is scanned like any other.
 */
export function openZip(content: Buffer): Promise<ZipFile> {
  zipDirectoryMeter.opens++;
  return yauzl.fromBufferPromise(content, {
    lazyEntries: true,
    autoClose: true,
    decodeStrings: false,
    validateEntrySizes: true,
    strictFileNames: false,
  });
}

export function entryName(entry: Entry): string {
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
}

/** A directory entry has a trailing slash and no data; one that carries data is scanned as a file. */
export function isDirectoryEntry(entry: Entry, name: string): boolean {
  return (name.endsWith('/') || name.endsWith('\\')) && entry.compressedSize === 0;
}

/** yauzl refuses the whole archive when an entry uses PKWARE strong encryption. */
export function isStrongEncryptionError(error: unknown): boolean {
  return error instanceof Error && /strong encryption/i.test(error.message);
}
