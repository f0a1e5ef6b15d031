// Native executables: PE (an MZ header whose e_lfanew points at "PE\0\0"), ELF, and Mach-O in all
// its magic variants, 32/64-bit, either byte order, and fat (universal) binaries.
import { hasAsciiAt, hasBytesAt, uint32be, uint32le } from './bytes.js';

/** e_lfanew may point inside the DOS header itself (packers such as MEW and Upack do that). */
export function isPe(content: Uint8Array): boolean {
  if (!hasAsciiAt(content, 0, 'MZ')) return false;
  const peOffset = uint32le(content, 0x3c);
  return peOffset !== undefined && hasBytesAt(content, peOffset, [0x50, 0x45, 0x00, 0x00]);
}

export function isElf(content: Uint8Array): boolean {
  return hasBytesAt(content, 0, [0x7f, 0x45, 0x4c, 0x46]);
}

const THIN_MACHO_MAGICS = [
  [0xfe, 0xed, 0xfa, 0xce],
  [0xce, 0xfa, 0xed, 0xfe],
  [0xfe, 0xed, 0xfa, 0xcf],
  [0xcf, 0xfa, 0xed, 0xfe],
];
const FAT_MACHO_MAGICS = [
  [0xca, 0xfe, 0xba, 0xbe],
  [0xbe, 0xba, 0xfe, 0xca],
  [0xca, 0xfe, 0xba, 0xbf],
  [0xbf, 0xba, 0xfe, 0xca],
];
/** Java class files share CAFEBABE; there the next word is a class version (45 and up), in a fat binary an architecture count. */
const MAX_FAT_ARCHITECTURES = 30;

export function isMachO(content: Uint8Array): boolean {
  if (THIN_MACHO_MAGICS.some((magic) => hasBytesAt(content, 0, magic))) return true;
  if (!FAT_MACHO_MAGICS.some((magic) => hasBytesAt(content, 0, magic))) return false;
  const bigEndian = content[0] === 0xca;
  const count = bigEndian ? uint32be(content, 4) : uint32le(content, 4);
  return count !== undefined && count > 0 && count <= MAX_FAT_ARCHITECTURES;
}
