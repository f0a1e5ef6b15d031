// A minimal zip writer for tests: local headers, central directory, end records. It can write
// what normal tools refuse to: zip64 fields on small files, an encryption flag, a wrong CRC, and
// overlapping entries.
import { crc32, deflateRawSync } from 'node:zlib';
import { crc32Combine } from './crc32-combine.js';

export interface ZipEntrySpec {
  name: string;
  data: Buffer;
  /** Default 'deflate'. */
  method?: 'store' | 'deflate';
  /** Sets general purpose bit 0 and prefixes 12 bytes of (fake) encryption header; the data is not really encrypted. */
  encrypted?: boolean;
  /** Writes sizes and offset as 0xFFFFFFFF with the real values in zip64 extra fields. */
  zip64?: boolean;
  /** Overrides the CRC-32 written to both headers. */
  crc32?: number;
  /** Overrides the compression method number written to both headers (the data is written as `method` says). */
  methodNumber?: number;
}

export interface ZipOptions {
  /** Writes a zip64 end of central directory record and locator (implied by any zip64 entry). */
  zip64End?: boolean;
}

const UTF8_NAMES = 0x0800;
const ENCRYPTED = 0x0001;
const MAX32 = 0xffffffff;

interface WrittenEntry {
  spec: ZipEntrySpec;
  nameBytes: Buffer;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  offset: number;
}

export function writeZip(entries: ZipEntrySpec[], options: ZipOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const written: WrittenEntry[] = [];
  let offset = 0;
  for (const spec of entries) {
    const nameBytes = Buffer.from(spec.name, 'utf8');
    const deflate = (spec.method ?? 'deflate') === 'deflate';
    let payload = deflate ? deflateRawSync(spec.data) : spec.data;
    if (spec.encrypted) payload = Buffer.concat([Buffer.alloc(12, 0xa5), payload]);
    const entry: WrittenEntry = {
      spec,
      nameBytes,
      flags: UTF8_NAMES | (spec.encrypted ? ENCRYPTED : 0),
      method: spec.methodNumber ?? (deflate ? 8 : 0),
      crc: spec.crc32 ?? crc32(spec.data),
      compressedSize: payload.length,
      uncompressedSize: spec.data.length,
      offset,
    };
    const header = localHeader(entry);
    parts.push(header, payload);
    offset += header.length + payload.length;
    written.push(entry);
  }
  const directoryStart = offset;
  const directory = Buffer.concat(written.map(centralHeader));
  parts.push(directory);
  const zip64 = options.zip64End === true || entries.some((entry) => entry.zip64 === true);
  parts.push(endRecords(written.length, directoryStart, directory.length, zip64));
  return Buffer.concat(parts);
}

function localHeader(entry: WrittenEntry): Buffer {
  const zip64 = entry.spec.zip64 === true;
  const extra = zip64 ? zip64Extra([entry.uncompressedSize, entry.compressedSize]) : Buffer.alloc(0);
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(zip64 ? 45 : 20, 4);
  header.writeUInt16LE(entry.flags, 6);
  header.writeUInt16LE(entry.method, 8);
  header.writeUInt32LE(entry.crc, 14);
  header.writeUInt32LE(zip64 ? MAX32 : entry.compressedSize, 18);
  header.writeUInt32LE(zip64 ? MAX32 : entry.uncompressedSize, 22);
  header.writeUInt16LE(entry.nameBytes.length, 26);
  header.writeUInt16LE(extra.length, 28);
  return Buffer.concat([header, entry.nameBytes, extra]);
}

function centralHeader(entry: WrittenEntry): Buffer {
  const zip64 = entry.spec.zip64 === true;
  const extra = zip64 ? zip64Extra([entry.uncompressedSize, entry.compressedSize, entry.offset]) : Buffer.alloc(0);
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(zip64 ? 45 : 20, 4);
  header.writeUInt16LE(zip64 ? 45 : 20, 6);
  header.writeUInt16LE(entry.flags, 8);
  header.writeUInt16LE(entry.method, 10);
  header.writeUInt32LE(entry.crc, 16);
  header.writeUInt32LE(zip64 ? MAX32 : entry.compressedSize, 20);
  header.writeUInt32LE(zip64 ? MAX32 : entry.uncompressedSize, 24);
  header.writeUInt16LE(entry.nameBytes.length, 28);
  header.writeUInt16LE(extra.length, 30);
  header.writeUInt32LE(zip64 ? MAX32 : entry.offset, 42);
  return Buffer.concat([header, entry.nameBytes, extra]);
}

function zip64Extra(values: number[]): Buffer {
  const extra = Buffer.alloc(4 + 8 * values.length);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(8 * values.length, 2);
  values.forEach((value, index) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * index));
  return extra;
}

function endRecords(count: number, directoryStart: number, directorySize: number, zip64: boolean): Buffer {
  const records: Buffer[] = [];
  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(directorySize), 40);
    record.writeBigUInt64LE(BigInt(directoryStart), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(directoryStart + directorySize), 8);
    locator.writeUInt32LE(1, 16);
    records.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : count, 8);
  end.writeUInt16LE(zip64 ? 0xffff : count, 10);
  end.writeUInt32LE(zip64 ? MAX32 : directorySize, 12);
  end.writeUInt32LE(zip64 ? MAX32 : directoryStart, 16);
  records.push(end);
  return Buffer.concat(records);
}

/**
 * David Fifield's non-recursive zip bomb: every entry's data starts with a stored deflate block
 * that quotes the next entry's local header and then runs on into that entry's data, ending in
 * one shared kernel of `kernelBytes` zeros. Each entry is valid on its own (sizes and CRCs are
 * right); together they unpack to about files × kernelBytes.
 */
export function writeOverlappingZip(files: number, kernelBytes: number): Buffer {
  const zeros = Buffer.alloc(kernelBytes);
  const kernel = deflateRawSync(zeros, { level: 9 });
  const names = Array.from({ length: files }, (_, index) => Buffer.from(`file${String(index).padStart(5, '0')}`));

  // Built back to front: each local header records the size and CRC of everything that follows it.
  const headers: Buffer[] = new Array<Buffer>(files);
  let followingCrc = crc32(zeros);
  let followingBytes = kernelBytes;
  let compressedSize = kernel.length;
  for (let index = files - 1; index >= 0; index--) {
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(8, 8);
    header.writeUInt32LE(followingCrc, 14);
    header.writeUInt32LE(compressedSize, 18);
    header.writeUInt32LE(followingBytes, 22);
    header.writeUInt16LE(names[index].length, 26);
    headers[index] = Buffer.concat([header, names[index]]);
    followingCrc = crc32Combine(crc32(headers[index]), followingCrc, followingBytes);
    followingBytes += headers[index].length;
    compressedSize += 5 + headers[index].length;
  }

  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (let index = 0; index < files; index++) {
    offsets.push(offset);
    parts.push(headers[index]);
    offset += headers[index].length;
    if (index + 1 < files) {
      parts.push(storedBlockHeader(headers[index + 1].length));
      offset += 5;
    }
  }
  parts.push(kernel);
  offset += kernel.length;

  const directoryStart = offset;
  const directory = Buffer.concat(
    headers.map((local, index) => {
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE(20, 4);
      central.writeUInt16LE(20, 6);
      local.copy(central, 8, 6, 26); // flags, method, time, date, crc, sizes
      central.writeUInt16LE(names[index].length, 28);
      central.writeUInt32LE(offsets[index], 42);
      return Buffer.concat([central, names[index]]);
    }),
  );
  parts.push(directory, endRecords(files, directoryStart, directory.length, false));
  return Buffer.concat(parts);
}

/** A non-final stored deflate block of `length` bytes: the bytes that follow are copied to the output verbatim. */
function storedBlockHeader(length: number): Buffer {
  const block = Buffer.alloc(5);
  block.writeUInt8(0x00, 0);
  block.writeUInt16LE(length, 1);
  block.writeUInt16LE(length ^ 0xffff, 3);
  return block;
}

/** Several central directory entries that all point at the same local header and data. */
export function writeSharedDataZip(copies: number, data: Buffer): Buffer {
  const single = writeZip([{ name: 'shared.bin', data }]);
  const directoryStart = single.readUInt32LE(single.length - 6);
  const local = single.subarray(0, directoryStart);
  const central = single.subarray(directoryStart, single.length - 22);
  const directory = Buffer.concat(Array.from({ length: copies }, () => central));
  return Buffer.concat([local, directory, endRecords(copies, local.length, directory.length, false)]);
}
