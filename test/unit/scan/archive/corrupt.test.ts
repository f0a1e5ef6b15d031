import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArchiveFindingName, type ArchiveInfo } from '../../../../src/scan/archive/index.js';
import { EICAR, writeGzip, writeTar } from './archive-builders.js';
import { findingNames, inspectCollecting, type Inspection } from './inspect-helper.js';
import { writeZip } from './zip-writer.js';

const corrupt = { engine: 'archive', name: ArchiveFindingName.Corrupt, kind: 'malformed' } as const;
const text = (size: number): Buffer => Buffer.from('All work and no play. '.repeat(Math.ceil(size / 22)).slice(0, size));

async function inspectAs(content: Buffer, fileName: string): Promise<Inspection> {
  const info: ArchiveInfo = { fileName, location: [] };
  return inspectCollecting(content, info);
}

test('a zip cut anywhere is reported corrupt without throwing', async () => {
  const zip = writeZip([{ name: 'a.txt', data: text(3000) }, { name: 'eicar.com', data: EICAR }]);
  for (let length = 4; length < zip.length; length += 97) {
    const inspection = await inspectAs(zip.subarray(0, length), 'cut.zip');
    assert.deepEqual(findingNames(inspection), [ArchiveFindingName.Corrupt], `cut at ${length}`);
  }
});

test('garbage after a zip magic is corrupt', async () => {
  const garbage = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(5000, 0x41)]);
  assert.deepEqual((await inspectAs(garbage, 'g.zip')).findings, [{ ...corrupt, location: ['g.zip'] }]);
});

test('a zip entry with a wrong CRC is corrupt, and its bytes are still scanned', async () => {
  const zip = writeZip([{ name: 'bad.com', data: EICAR, crc32: 0x12345678 }, { name: 'good.txt', data: Buffer.from('ok') }]);
  const inspection = await inspectAs(zip, 'crc.zip');
  assert.deepEqual(inspection.findings, [{ ...corrupt, location: ['crc.zip', 'bad.com'] }]);
  assert.deepEqual(inspection.files.map((file) => [file.info.location, file.data.toString('latin1')]), [
    [['bad.com'], EICAR.toString('latin1')],
    [['good.txt'], 'ok'],
  ]);
});

test('a zip entry whose deflate data is damaged is corrupt, the other entries still arrive', async () => {
  const zip = writeZip([{ name: 'broken.txt', data: text(4000) }, { name: 'eicar.com', data: EICAR }]);
  // Bit flips inside the first entry's compressed data (after its 30-byte header and name).
  const dataStart = 30 + 'broken.txt'.length;
  for (const offset of [2, 10, 40]) zip[dataStart + offset] ^= 0xff;
  const inspection = await inspectAs(zip, 'd.zip');
  assert.deepEqual(inspection.findings, [{ ...corrupt, location: ['d.zip', 'broken.txt'] }]);
  assert.ok(inspection.files.some((file) => file.data.equals(EICAR)));
});

test('a central directory pointing outside the archive is corrupt', async () => {
  const zip = writeZip([{ name: 'a.txt', data: EICAR }]);
  const directoryStart = zip.readUInt32LE(zip.length - 6);
  zip.writeUInt32LE(zip.length + 1000, directoryStart + 42);
  assert.deepEqual(findingNames(await inspectAs(zip, 'o.zip')), [ArchiveFindingName.Corrupt]);
});

test('an end record claiming more entries than exist is corrupt and ends', async () => {
  const zip = writeZip([{ name: 'a.txt', data: EICAR }]);
  zip.writeUInt16LE(0xffff, zip.length - 12);
  zip.writeUInt16LE(0xffff, zip.length - 14);
  assert.deepEqual(findingNames(await inspectAs(zip, 'count.zip')), [ArchiveFindingName.Corrupt]);
});

test('a truncated gzip is corrupt; what was recovered is still scanned', async () => {
  const gzip = writeGzip(Buffer.concat([EICAR, text(200_000)]));
  const inspection = await inspectAs(gzip.subarray(0, Math.floor(gzip.length / 2)), 'cut.txt.gz');
  assert.deepEqual(inspection.findings, [{ ...corrupt, location: ['cut.txt.gz'] }]);
  assert.equal(inspection.files.length, 1);
  assert.deepEqual(inspection.files[0].data.subarray(0, EICAR.length), EICAR);
});

test('a gzip with a wrong CRC or garbage after the magic is corrupt', async () => {
  const gzip = writeGzip(EICAR);
  const badCrc = Buffer.from(gzip);
  badCrc[badCrc.length - 6] ^= 0xff;
  assert.deepEqual(findingNames(await inspectAs(badCrc, 'crc.gz')), [ArchiveFindingName.Corrupt]);

  const garbage = Buffer.concat([gzip.subarray(0, 3), Buffer.alloc(100, 0xff)]);
  const inspection = await inspectAs(garbage, 'g.gz');
  assert.deepEqual(findingNames(inspection), [ArchiveFindingName.Corrupt]);
  assert.deepEqual(inspection.files, []);
});

test('a tar cut short or with a damaged header is corrupt, earlier entries still arrive', async () => {
  const tar = await writeTar([{ name: 'eicar.com', data: EICAR }, { name: 'big.txt', data: text(5000) }]);
  const cut = await inspectAs(tar.subarray(0, 2048), 'cut.tar');
  assert.deepEqual(cut.findings, [{ ...corrupt, location: ['cut.tar'] }]);
  assert.deepEqual(cut.files.map((file) => file.info.location), [['eicar.com']]);

  const damaged = Buffer.from(tar);
  damaged.fill(0x41, 1024, 1100); // the second header
  const bad = await inspectAs(damaged, 'bad.tar');
  assert.deepEqual(findingNames(bad), [ArchiveFindingName.Corrupt]);
  assert.deepEqual(bad.files.map((file) => file.info.location), [['eicar.com']]);
});

test('a corrupt archive nested in a good one is reported at its own location', async () => {
  const inner = writeZip([{ name: 'x', data: EICAR }]).subarray(0, 40);
  const outer = writeZip([{ name: 'inner.zip', data: inner }, { name: 'eicar.com', data: EICAR }]);
  const inspection = await inspectAs(outer, 'outer.zip');
  assert.deepEqual(inspection.findings, [{ ...corrupt, location: ['outer.zip', 'inner.zip'] }]);
  assert.deepEqual(inspection.files.map((file) => file.info.location), [['eicar.com']]);
});

test('random damage to any archive format never throws', async () => {
  const samples = [
    writeZip([{ name: 'a.txt', data: text(2000) }, { name: 'b.zip', data: writeZip([{ name: 'c', data: EICAR }]) }]),
    writeGzip(await writeTar([{ name: 'a.txt', data: text(2000) }])),
    await writeTar([{ name: 'a.txt', data: text(2000) }]),
  ];
  let seed = 42;
  const random = (below: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % below;
  };
  for (const sample of samples) {
    for (let round = 0; round < 60; round++) {
      const damaged = Buffer.from(sample);
      for (let flips = 0; flips < 1 + random(4); flips++) damaged[4 + random(damaged.length - 4)] = random(256);
      await inspectAs(damaged, 'fuzz');
    }
  }
});
