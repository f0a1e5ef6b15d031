import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archiveKind } from '../../../../src/scan/archive/index.js';
import { EICAR, writeGzip, writeTar } from './archive-builders.js';
import { writeZip } from './zip-writer.js';

test('archive kinds are recognised by their magic bytes, whatever the name', async () => {
  assert.equal(archiveKind(writeZip([{ name: 'a', data: EICAR }]), 'photo.jpg'), 'zip');
  assert.equal(archiveKind(writeZip([])), 'zip');
  assert.equal(archiveKind(writeGzip(EICAR), 'x.txt'), 'gzip');
  assert.equal(archiveKind(await writeTar([{ name: 'a', data: EICAR }]), 'x.doc'), 'tar');
});

test('a name alone does not make an archive', () => {
  assert.equal(archiveKind(EICAR, 'eicar.zip'), undefined);
  assert.equal(archiveKind(EICAR, 'eicar.tar.gz'), undefined);
  assert.equal(archiveKind(Buffer.alloc(1024), 'empty.tar'), undefined);
  assert.equal(archiveKind(Buffer.alloc(0)), undefined);
});

test('the name lets a zip with data in front of it be recognised', () => {
  const selfExtracting = Buffer.concat([Buffer.from('MZ stub'), writeZip([{ name: 'a', data: EICAR }])]);
  assert.equal(archiveKind(selfExtracting), undefined);
  assert.equal(archiveKind(selfExtracting, 'setup.ZIP'), 'zip');
});

test('the name lets an old-style tar without "ustar" be recognised by its header checksum', async () => {
  const tar = await writeTar([{ name: 'a.txt', data: EICAR }]);
  const v7 = Buffer.from(tar);
  v7.fill(0, 257, 265); // magic and version
  const checksum = [...v7.subarray(0, 512)].reduce((sum, byte, index) => sum + (index >= 148 && index < 156 ? 0x20 : byte), 0);
  v7.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  assert.equal(archiveKind(v7), undefined);
  assert.equal(archiveKind(v7, 'old.tar'), 'tar');
});
