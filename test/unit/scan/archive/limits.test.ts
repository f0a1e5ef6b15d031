import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArchiveFindingName } from '../../../../src/scan/archive/index.js';
import { EICAR, nestZips, writeGzip, writeTar } from './archive-builders.js';
import { findingNames, inspectCollecting, MiB } from './inspect-helper.js';
import { writeZip } from './zip-writer.js';

const filler = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, index) => (index * 7919) % 251));

test('an entry unpacking beyond maxRatio × its compressed size is refused, the others still arrive', async () => {
  const zip = writeZip([
    { name: 'zeros.bin', data: Buffer.alloc(4 * MiB) },
    { name: 'eicar.com', data: EICAR },
  ]);
  const inspection = await inspectCollecting(zip, { fileName: 'a.zip', location: [] });
  assert.deepEqual(inspection.findings, [
    { engine: 'archive', name: ArchiveFindingName.RatioExceeded, kind: 'limit', location: ['a.zip', 'zeros.bin'] },
  ]);
  assert.deepEqual(inspection.files.map((file) => file.info.location), [['eicar.com']]);
});

test('small highly repetitive files are exempt from the ratio up to ratioExemptBytes', async () => {
  const zip = writeZip([{ name: 'zeros.bin', data: Buffer.alloc(512 * 1024) }]);
  const exempt = await inspectCollecting(zip);
  assert.deepEqual(exempt.findings, []);
  assert.equal(exempt.files[0].data.length, 512 * 1024);

  const strict = await inspectCollecting(zip, { location: [] }, { ratioExemptBytes: 0 });
  assert.deepEqual(findingNames(strict), [ArchiveFindingName.RatioExceeded]);
  assert.deepEqual(strict.files, []);
});

test('the ratio applies to gzip too', async () => {
  const inspection = await inspectCollecting(writeGzip(Buffer.alloc(4 * MiB)), { fileName: 'z.gz', location: [] });
  assert.deepEqual(findingNames(inspection), [ArchiveFindingName.RatioExceeded]);
  assert.deepEqual(inspection.files, []);
});

test('maxFiles stops unpacking after that many entries, counted across nesting', async () => {
  const five = writeZip(Array.from({ length: 5 }, (_, index) => ({ name: `${index}.txt`, data: Buffer.from(`file ${index}`) })));
  const flat = await inspectCollecting(five, { fileName: 'five.zip', location: [] }, { maxFiles: 3 });
  assert.equal(flat.files.length, 3);
  assert.deepEqual(flat.findings, [
    { engine: 'archive', name: ArchiveFindingName.FilesExceeded, kind: 'limit', location: ['five.zip', '3.txt'] },
  ]);

  const nested = writeZip([
    { name: 'a.txt', data: Buffer.from('a') },
    { name: 'five.zip', data: five },
    { name: 'z.txt', data: Buffer.from('z') },
  ]);
  // a.txt, five.zip, 0.txt, 1.txt: the nested zip counts as an entry too.
  const total = await inspectCollecting(nested, { location: [] }, { maxFiles: 4 });
  assert.deepEqual(total.files.map((file) => file.info.location), [['a.txt'], ['five.zip', '0.txt'], ['five.zip', '1.txt']]);
  assert.deepEqual(total.findings.map((finding) => [finding.name, finding.location]), [[ArchiveFindingName.FilesExceeded, ['five.zip', '2.txt']]]);
});

test('exactly maxFiles entries is within the limit', async () => {
  const three = writeZip(Array.from({ length: 3 }, (_, index) => ({ name: `${index}.txt`, data: Buffer.from('x') })));
  const inspection = await inspectCollecting(three, { location: [] }, { maxFiles: 3 });
  assert.equal(inspection.files.length, 3);
  assert.deepEqual(inspection.findings, []);
});

test('maxUnpackedBytes is a total across entries, nesting and formats', async () => {
  const zip = writeZip([
    { name: 'a.bin', data: filler(600) },
    { name: 'b.bin', data: filler(600), method: 'store' },
    { name: 'c.bin', data: filler(10) },
  ]);
  const stored = await inspectCollecting(zip, { location: [] }, { maxUnpackedBytes: 1000 });
  assert.deepEqual(stored.files.map((file) => file.info.location), [['a.bin']]);
  assert.deepEqual(stored.findings.map((finding) => [finding.name, finding.location]), [[ArchiveFindingName.SizeExceeded, ['b.bin']]]);

  const deflated = writeZip([{ name: 'a.bin', data: filler(600) }, { name: 'b.bin', data: filler(600) }]);
  const inflating = await inspectCollecting(deflated, { location: [] }, { maxUnpackedBytes: 1000 });
  assert.deepEqual(inflating.files.map((file) => file.info.location), [['a.bin']]);
  assert.deepEqual(findingNames(inflating), [ArchiveFindingName.SizeExceeded]);

  const tar = await writeTar([{ name: 'a.bin', data: filler(600) }, { name: 'b.bin', data: filler(600) }]);
  const fromTar = await inspectCollecting(tar, { location: [] }, { maxUnpackedBytes: 1000 });
  assert.deepEqual(fromTar.files.map((file) => file.info.location), [['a.bin']]);
  assert.deepEqual(findingNames(fromTar), [ArchiveFindingName.SizeExceeded]);

  // The unpacked tar (1536+ bytes) alone is over budget once gunzipped.
  const fromTarGz = await inspectCollecting(writeGzip(tar), { location: [] }, { maxUnpackedBytes: 1000 });
  assert.deepEqual(fromTarGz.files, []);
  assert.deepEqual(findingNames(fromTarGz), [ArchiveFindingName.SizeExceeded]);
});

test('archives nested deeper than maxDepth are not opened and the rest still arrives', async () => {
  const deep = nestZips(EICAR, 'eicar.com', 3);
  const outer = writeZip([
    { name: 'deep.zip', data: deep },
    { name: 'top.com', data: EICAR },
  ]);
  const inspection = await inspectCollecting(outer, { fileName: 'mail.zip', location: [] }, { maxDepth: 3 });
  assert.deepEqual(inspection.files.map((file) => file.info.location), [['top.com']]);
  assert.deepEqual(inspection.findings, [
    {
      engine: 'archive',
      name: ArchiveFindingName.DepthExceeded,
      kind: 'limit',
      location: ['mail.zip', 'deep.zip', 'level2.zip', 'level1.zip'],
    },
  ]);

  const enough = await inspectCollecting(outer, { location: [] }, { maxDepth: 4 });
  assert.deepEqual(enough.findings, []);
  assert.equal(enough.files.length, 2);
});

test('a gzip layer counts as a nesting level', async () => {
  const tarGz = writeGzip(await writeTar([{ name: 'eicar.com', data: EICAR }]));
  const inspection = await inspectCollecting(tarGz, { fileName: 'a.tar.gz', location: [] }, { maxDepth: 1 });
  assert.deepEqual(inspection.files, []);
  assert.deepEqual(inspection.findings.map((finding) => [finding.name, finding.location]), [[ArchiveFindingName.DepthExceeded, ['a.tar.gz', 'a.tar']]]);
});

test('maxDepth 0 opens nothing', async () => {
  const inspection = await inspectCollecting(writeZip([{ name: 'a', data: EICAR }]), { fileName: 'a.zip', location: [] }, { maxDepth: 0 });
  assert.deepEqual(inspection.files, []);
  assert.deepEqual(findingNames(inspection), [ArchiveFindingName.DepthExceeded]);
});

test('an entry with an unsupported compression method is reported as not scanned', async () => {
  const zip = writeZip([
    { name: 'bzip2.bin', data: EICAR, method: 'store', methodNumber: 12 },
    { name: 'ok.com', data: EICAR },
  ]);
  const inspection = await inspectCollecting(zip);
  assert.deepEqual(inspection.findings.map((finding) => [finding.name, finding.kind, finding.location]), [
    [ArchiveFindingName.UnsupportedMethod, 'limit', ['bzip2.bin']],
  ]);
  assert.deepEqual(inspection.files.map((file) => file.info.location), [['ok.com']]);
});
