// Directory entry names of an OLE2 compound file (Office 97-2003, MSI, vbaProject.bin), read by
// following the directory's sector chain through the FAT. A VBA project shows up as a storage or
// stream named VBA, _VBA_PROJECT or _VBA_PROJECT_CUR. If the structure cannot be followed, the
// raw bytes are searched for those names in UTF-16LE instead.
import { uint16le, uint32le } from './bytes.js';

const END_OF_CHAIN = 0xfffffffe;
const MAX_SECTOR_ID = 0xfffffffa;
const HEADER_DIFAT_ENTRIES = 109;
const DIRECTORY_ENTRY_SIZE = 128;
const MAX_DIRECTORY_SECTORS = 10_000;
const VBA_NAMES = new Set(['vba', '_vba_project', '_vba_project_cur']);
const VBA_UTF16 = Buffer.from('_VBA_PROJECT', 'utf16le');

class Compound {
  readonly sectorSize: number;

  constructor(private readonly content: Buffer) {
    const shift = uint16le(content, 0x1e);
    if (shift !== 9 && shift !== 12) throw new Error('unexpected sector size');
    this.sectorSize = 1 << shift;
  }

  sectorOffset(sector: number): number {
    return (sector + 1) * this.sectorSize;
  }

  /** FAT sector ids from the header's DIFAT and the DIFAT sector chain. */
  private fatSectors(): number[] {
    const sectors: number[] = [];
    for (let i = 0; i < HEADER_DIFAT_ENTRIES; i++) {
      const sector = uint32le(this.content, 0x4c + i * 4);
      if (sector === undefined || sector > MAX_SECTOR_ID) break;
      sectors.push(sector);
    }
    let difat = uint32le(this.content, 0x44) ?? END_OF_CHAIN;
    const perSector = this.sectorSize / 4 - 1;
    for (let guard = 0; difat <= MAX_SECTOR_ID && guard < MAX_DIRECTORY_SECTORS; guard++) {
      const base = this.sectorOffset(difat);
      for (let i = 0; i < perSector; i++) {
        const sector = uint32le(this.content, base + i * 4);
        if (sector === undefined || sector > MAX_SECTOR_ID) break;
        sectors.push(sector);
      }
      difat = uint32le(this.content, base + perSector * 4) ?? END_OF_CHAIN;
    }
    return sectors;
  }

  nextSector(fat: number[], sector: number): number {
    const perSector = this.sectorSize / 4;
    const fatSector = fat[Math.floor(sector / perSector)];
    if (fatSector === undefined) return END_OF_CHAIN;
    return uint32le(this.content, this.sectorOffset(fatSector) + (sector % perSector) * 4) ?? END_OF_CHAIN;
  }

  directoryNames(): string[] {
    const fat = this.fatSectors();
    const names: string[] = [];
    const seen = new Set<number>();
    let sector = uint32le(this.content, 0x30) ?? END_OF_CHAIN;
    while (sector <= MAX_SECTOR_ID && !seen.has(sector) && seen.size < MAX_DIRECTORY_SECTORS) {
      seen.add(sector);
      const base = this.sectorOffset(sector);
      if (base + this.sectorSize > this.content.length) throw new Error('directory sector beyond the end of the file');
      for (let entry = base; entry < base + this.sectorSize; entry += DIRECTORY_ENTRY_SIZE) {
        const nameBytes = uint16le(this.content, entry + 0x40) ?? 0;
        if (nameBytes >= 2 && nameBytes <= 64) names.push(this.content.toString('utf16le', entry, entry + nameBytes - 2));
      }
      sector = this.nextSector(fat, sector);
    }
    if (names.length === 0) throw new Error('empty directory');
    return names;
  }
}

export function oleDirectoryNames(content: Buffer): string[] | undefined {
  try {
    return new Compound(content).directoryNames();
  } catch {
    return undefined;
  }
}

export function oleHasVbaProject(content: Buffer): boolean {
  const names = oleDirectoryNames(content);
  if (names) return names.some((name) => VBA_NAMES.has(name.toLowerCase()));
  return content.includes(VBA_UTF16);
}
