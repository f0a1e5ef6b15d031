// Formats recognised by a signature at a fixed place: archives, images, disk images, shortcuts, RTF.
import type { DetectedType } from '../../../../types/verdict.js';
import { hasAsciiAt, hasBytesAt } from './bytes.js';

/** Windows shell link: header size 0x4C, then the ShellLink CLSID 00021401-0000-0000-C000-000000000046. */
const LNK_HEADER = [0x4c, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46];
const OLE_HEADER = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
/** ISO 9660 volume descriptors ("CD001") and UDF recognition sequences, at sectors 16-18 (2048 bytes each). */
const VOLUME_DESCRIPTOR_OFFSETS = [0x8001, 0x8801, 0x9001];
const VOLUME_IDENTIFIERS = ['CD001', 'BEA01', 'NSR02', 'NSR03'];

export function isLnk(content: Uint8Array): boolean {
  return hasBytesAt(content, 0, LNK_HEADER);
}

export function isOle(content: Uint8Array): boolean {
  return hasBytesAt(content, 0, OLE_HEADER);
}

export function isZip(content: Uint8Array): boolean {
  return hasAsciiAt(content, 0, 'PK\x03\x04') || hasAsciiAt(content, 0, 'PK\x05\x06') || hasAsciiAt(content, 0, 'PK\x07\x08');
}

export function isRtf(content: Uint8Array): boolean {
  return hasAsciiAt(content, 0, '{\\rtf');
}

export function isDiskImage(content: Uint8Array): boolean {
  // Loops, not nested some(): this runs for every part, and each call would make a closure per offset.
  for (let at = 0; at < VOLUME_DESCRIPTOR_OFFSETS.length; at++) {
    for (let id = 0; id < VOLUME_IDENTIFIERS.length; id++) if (hasAsciiAt(content, VOLUME_DESCRIPTOR_OFFSETS[at], VOLUME_IDENTIFIERS[id])) return true;
  }
  return false;
}

/** gzip, tar, rar, 7z; undefined for anything else. */
export function archiveType(content: Uint8Array): DetectedType | undefined {
  if (hasBytesAt(content, 0, [0x1f, 0x8b])) return 'gzip';
  if (hasBytesAt(content, 0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return '7z';
  if (hasAsciiAt(content, 0, 'Rar!\x1a\x07')) return 'rar';
  if (hasAsciiAt(content, 257, 'ustar')) return 'tar';
  return undefined;
}

export function isImage(content: Uint8Array): boolean {
  return (
    hasBytesAt(content, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) ||
    hasBytesAt(content, 0, [0xff, 0xd8, 0xff]) ||
    hasAsciiAt(content, 0, 'GIF87a') ||
    hasAsciiAt(content, 0, 'GIF89a') ||
    (hasAsciiAt(content, 0, 'RIFF') && hasAsciiAt(content, 8, 'WEBP')) ||
    hasBytesAt(content, 0, [0x49, 0x49, 0x2a, 0x00]) ||
    hasBytesAt(content, 0, [0x4d, 0x4d, 0x00, 0x2a])
  );
}
