import type { ContentInfo } from '../types.js';

/** Finding.location for a scanned file: its archive path when it came out of an archive, else the part's file name. */
export function findingLocation(info: ContentInfo): string[] {
  if (info.location.length > 0) return [...info.location];
  return info.fileName ? [info.fileName] : [];
}
