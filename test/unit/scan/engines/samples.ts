// Small synthetic files for file-type tests: just enough structure for each format's checks.
import { deflateRawSync } from 'node:zlib';

export function minimalPe(lfanew = 0x80): Buffer {
  const file = Buffer.alloc(lfanew + 0x100);
  file.write('MZ', 0, 'latin1');
  file.writeUInt32LE(lfanew, 0x3c);
  file.write('PE\0\0', lfanew, 'latin1');
  file.writeUInt16LE(0x14c, lfanew + 4); // i386
  return file;
}

export function minimalElf(): Buffer {
  const file = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(file);
  return file;
}

export function withMagic(magic: number[], size = 64): Buffer {
  const file = Buffer.alloc(size);
  Buffer.from(magic).copy(file);
  return file;
}

/** Fat Mach-O with `count` architectures (big-endian header). */
export function fatMachO(count = 2): Buffer {
  const file = withMagic([0xca, 0xfe, 0xba, 0xbe]);
  file.writeUInt32BE(count, 4);
  return file;
}

/** A Java class file: same magic as fat Mach-O, then minor/major version (52 = Java 8). */
export function javaClass(): Buffer {
  const file = withMagic([0xca, 0xfe, 0xba, 0xbe]);
  file.writeUInt16BE(0, 4);
  file.writeUInt16BE(52, 6);
  return file;
}

export function shellLink(): Buffer {
  const file = Buffer.alloc(0x4c + 16);
  Buffer.from([0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46]).copy(file);
  return file;
}

export function isoImage(descriptorOffset = 0x8001, identifier = 'CD001'): Buffer {
  const file = Buffer.alloc(0x9800);
  file[descriptorOffset - 1] = 1;
  file.write(identifier, descriptorOffset, 'latin1');
  return file;
}

const END_OF_CHAIN = 0xfffffffe;
const FREE_SECTOR = 0xffffffff;
const FAT_SECTOR = 0xfffffffd;

/**
 * A minimal OLE2 compound file (512-byte sectors): header, one FAT sector, and directory sectors
 * holding a root entry plus one entry per name (storages, no streams).
 */
export function oleFile(names: string[]): Buffer {
  const entries = ['Root Entry', ...names];
  const directorySectors = Math.ceil(entries.length / 4);
  const file = Buffer.alloc(512 * (2 + directorySectors));
  const header = file.subarray(0, 512);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header);
  header.writeUInt16LE(0x3e, 0x18);
  header.writeUInt16LE(3, 0x1a);
  header.writeUInt16LE(0xfffe, 0x1c);
  header.writeUInt16LE(9, 0x1e);
  header.writeUInt16LE(6, 0x20);
  header.writeUInt32LE(1, 0x2c); // one FAT sector
  header.writeUInt32LE(1, 0x30); // directory starts in sector 1
  header.writeUInt32LE(4096, 0x38);
  header.writeUInt32LE(END_OF_CHAIN, 0x3c);
  header.writeUInt32LE(END_OF_CHAIN, 0x44);
  for (let i = 0; i < 109; i++) header.writeUInt32LE(i === 0 ? 0 : FREE_SECTOR, 0x4c + i * 4);
  const fat = file.subarray(512, 1024);
  for (let i = 0; i < 128; i++) fat.writeUInt32LE(FREE_SECTOR, i * 4);
  fat.writeUInt32LE(FAT_SECTOR, 0);
  for (let s = 1; s <= directorySectors; s++) fat.writeUInt32LE(s === directorySectors ? END_OF_CHAIN : s + 1, s * 4);
  entries.forEach((name, i) => {
    const at = 1024 + i * 128;
    const encoded = Buffer.from(`${name}\0`, 'utf16le');
    encoded.copy(file, at);
    file.writeUInt16LE(encoded.length, at + 0x40);
    file[at + 0x42] = i === 0 ? 5 : 1;
  });
  return file;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export interface ZipEntry {
  name: string;
  data: Buffer | string;
}

/** A zip with local headers, central directory and end record; stored or deflated. */
export function zipFile(entries: ZipEntry[], method: 'store' | 'deflate' = 'deflate', prefix = Buffer.alloc(0)): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data);
    const stored = method === 'deflate' ? deflateRawSync(data) : data;
    const name = Buffer.from(entry.name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method === 'deflate' ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method === 'deflate' ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([prefix, ...locals, centralDirectory, end]);
}

export function ooxmlFile(withMacros: boolean): Buffer {
  const entries: ZipEntry[] = [
    { name: '[Content_Types].xml', data: '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' },
    { name: '_rels/.rels', data: '<Relationships/>' },
    { name: 'word/document.xml', data: '<w:document/>' },
  ];
  if (withMacros) entries.push({ name: 'word/vbaProject.bin', data: oleFile(['VBA', '_VBA_PROJECT']) });
  return zipFile(entries);
}

export function pdfFile(body: string): Buffer {
  return Buffer.from(`%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< ${body} >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`, 'latin1');
}
