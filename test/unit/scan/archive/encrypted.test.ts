import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArchiveFindingName } from '../../../../src/scan/archive/index.js';
import { EICAR, writeGzip } from './archive-builders.js';
import { inspectCollecting } from './inspect-helper.js';
import { writeZip } from './zip-writer.js';

test('an encrypted entry is reported with its location and the other entries are still delivered', async () => {
  const zip = writeZip([
    { name: 'before.com', data: EICAR },
    { name: 'secret/payload.exe', data: EICAR, encrypted: true },
    { name: 'secret/stored.exe', data: EICAR, encrypted: true, method: 'store' },
    { name: 'after.com', data: EICAR },
  ]);
  const { files, findings } = await inspectCollecting(zip, { fileName: 'locked.zip', location: [] });
  assert.deepEqual(findings, [
    { engine: 'archive', name: ArchiveFindingName.Encrypted, kind: 'encrypted', location: ['locked.zip', 'secret/payload.exe'] },
    { engine: 'archive', name: ArchiveFindingName.Encrypted, kind: 'encrypted', location: ['locked.zip', 'secret/stored.exe'] },
  ]);
  assert.deepEqual(files.map((file) => file.info.location), [['before.com'], ['after.com']]);
});

test('an encrypted entry deep inside nested archives is reported with the full path', async () => {
  const inner = writeZip([{ name: 'x.exe', data: EICAR, encrypted: true }]);
  const outer = writeGzip(writeZip([{ name: 'inner.zip', data: inner }]));
  const { findings } = await inspectCollecting(outer, { fileName: 'a.zip.gz', location: [] });
  assert.deepEqual(findings.map((finding) => finding.location), [['a.zip.gz', 'a.zip', 'inner.zip', 'x.exe']]);
});

test('an entry with strong encryption (bit 6) makes the archive encrypted, not corrupt', async () => {
  const zip = writeZip([{ name: 'x.exe', data: EICAR, encrypted: true }]);
  const directoryStart = zip.readUInt32LE(zip.length - 6);
  const flagsAt = [6, directoryStart + 8];
  for (const offset of flagsAt) zip.writeUInt16LE(zip.readUInt16LE(offset) | 0x40, offset);
  const { findings } = await inspectCollecting(zip, { fileName: 'strong.zip', location: [] });
  assert.deepEqual(findings.map((finding) => [finding.name, finding.location]), [[ArchiveFindingName.Encrypted, ['strong.zip']]]);
});
