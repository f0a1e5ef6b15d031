import type { Entry } from 'yauzl';

/** The bytes one entry occupies: its local header, then its compressed data. */
export interface EntrySpan {
  headerStart: number;
  dataStart: number;
  dataEnd: number;
}

class ZipStructureError extends Error {}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;

/** Reads the local header the central directory points to, checking that header and data lie inside the archive. */
export function locateEntry(content: Buffer, entry: Pick<Entry, 'relativeOffsetOfLocalHeader' | 'compressedSize'>): EntrySpan {
  const headerStart = entry.relativeOffsetOfLocalHeader;
  if (headerStart + LOCAL_HEADER_SIZE > content.length) throw new ZipStructureError('local header lies outside the archive');
  if (content.readUInt32LE(headerStart) !== LOCAL_HEADER_SIGNATURE) throw new ZipStructureError('bad local header signature');
  const nameLength = content.readUInt16LE(headerStart + 26);
  const extraLength = content.readUInt16LE(headerStart + 28);
  const dataStart = headerStart + LOCAL_HEADER_SIZE + nameLength + extraLength;
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > content.length) throw new ZipStructureError('entry data lies outside the archive');
  return { headerStart, dataStart, dataEnd };
}

/**
 * True when two entries claim the same bytes. A real archive stores each entry once; overlapping
 * entries are how a non-recursive zip bomb (Fifield, 2019) makes a few kilobytes unpack to gigabytes.
 */
export function spansOverlap(spans: readonly EntrySpan[]): boolean {
  const byStart = [...spans].sort((a, b) => a.headerStart - b.headerStart);
  let furthestEnd = 0;
  for (const span of byStart) {
    if (span.headerStart < furthestEnd) return true;
    furthestEnd = Math.max(furthestEnd, span.dataEnd);
  }
  return false;
}
