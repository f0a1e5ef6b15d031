// Work per archive, counted: a zip's central directory is read once (layout check and unpacking share it),
// and a stored zip entry or a tar entry reaches the engines as a view of the archive's bytes, never a copy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultArchiveLimits, inspectArchive, zipDirectoryMeter } from '../../../../src/scan/archive/index.js';
import { randomBytesFromSeed } from '../../../helpers/messages.js';
import { EICAR, nestZips, writeTar } from './archive-builders.js';
import { writeZip } from './zip-writer.js';

async function delivered(zip: Buffer): Promise<{ files: { name: string; data: Buffer }[]; opens: number; findings: string[] }> {
  const files: { name: string; data: Buffer }[] = [];
  const before = zipDirectoryMeter.opens;
  const findings = await inspectArchive(zip, { fileName: 'archive', location: [] }, defaultArchiveLimits, async (data, info) => {
    files.push({ name: info.location.join(' > '), data });
  });
  return { files, opens: zipDirectoryMeter.opens - before, findings: findings.map((finding) => finding.name) };
}

test('each zip, nested ones included, has its central directory read once', async () => {
  const entries = Array.from({ length: 40 }, (_, index) => ({ name: `file-${index}.bin`, data: randomBytesFromSeed(500, index), method: index % 2 ? ('store' as const) : ('deflate' as const) }));
  const inner = nestZips(EICAR, 'eicar.com', 2);
  const { files, opens, findings } = await delivered(writeZip([...entries, { name: 'inner.zip', data: inner, method: 'store' }]));
  assert.deepEqual(findings, []);
  assert.equal(files.length, 41);
  // The outer zip, inner.zip and the one zip nested in it.
  assert.equal(opens, 3);
});

test('a stored entry is handed over as a view of the archive', async () => {
  const payload = randomBytesFromSeed(256 * 1024, 3);
  const zip = writeZip([{ name: 'payload.bin', data: payload, method: 'store' }, { name: 'small.txt', data: Buffer.from('hello'), method: 'deflate' }]);
  const { files } = await delivered(zip);
  const stored = files.find((file) => file.name === 'payload.bin');
  assert.ok(stored);
  assert.deepEqual(stored.data, payload);
  assert.equal(stored.data.buffer, zip.buffer);
  assert.ok(stored.data.byteOffset >= zip.byteOffset && stored.data.byteOffset + stored.data.length <= zip.byteOffset + zip.length);
});

test('a tar entry is handed over as a view of the archive', async () => {
  const payload = randomBytesFromSeed(256 * 1024, 4);
  const tar = await writeTar([{ name: 'payload.bin', data: payload }, { name: 'small.txt', data: Buffer.from('hello') }]);
  const { files, opens } = await delivered(tar);
  assert.equal(opens, 0);
  const entry = files.find((file) => file.name === 'payload.bin');
  assert.ok(entry);
  assert.deepEqual(entry.data, payload);
  assert.equal(entry.data.buffer, tar.buffer);
});
