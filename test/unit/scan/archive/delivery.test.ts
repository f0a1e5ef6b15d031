import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EICAR, nestZips, writeGzip, writeTar } from './archive-builders.js';
import { inspectCollecting } from './inspect-helper.js';
import { writeZip } from './zip-writer.js';
import { inspectArchive, defaultArchiveLimits } from '../../../../src/scan/archive/index.js';

test('a file in a zip reaches onFile with its bytes, name and entry path', async () => {
  const zip = writeZip([{ name: 'docs/eicar.com', data: EICAR }]);
  const { files, findings } = await inspectCollecting(zip, { fileName: 'invoice.zip', location: [] });
  assert.deepEqual(findings, []);
  assert.equal(files.length, 1);
  assert.deepEqual(files[0].data, EICAR);
  assert.deepEqual(files[0].info, { fileName: 'eicar.com', location: ['docs/eicar.com'], insideArchive: true });
});

test('stored and deflated entries both arrive, directories do not', async () => {
  const zip = writeZip([
    { name: 'dir/', data: Buffer.alloc(0), method: 'store' },
    { name: 'dir/stored.com', data: EICAR, method: 'store' },
    { name: 'dir/deflated.com', data: EICAR, method: 'deflate' },
    { name: 'empty.txt', data: Buffer.alloc(0) },
  ]);
  const { files, findings } = await inspectCollecting(zip);
  assert.deepEqual(findings, []);
  assert.deepEqual(
    files.map((file) => [file.info.location, file.data.length]),
    [[['dir/stored.com'], 68], [['dir/deflated.com'], 68], [['empty.txt'], 0]],
  );
});

test('zips nested three deep are descended and the path records every level', async () => {
  const zip = nestZips(EICAR, 'eicar.com', 3);
  const { files, findings } = await inspectCollecting(zip, { fileName: 'outer.zip', location: [] });
  assert.deepEqual(findings, []);
  assert.equal(files.length, 1);
  assert.deepEqual(files[0].data, EICAR);
  assert.deepEqual(files[0].info.location, ['level2.zip', 'level1.zip', 'eicar.com']);
});

test('the location given for the attachment prefixes every delivered path', async () => {
  const zip = writeZip([{ name: 'eicar.com', data: EICAR }]);
  const { files } = await inspectCollecting(zip, { fileName: 'inner.zip', location: ['outer.zip'] });
  assert.deepEqual(files[0].info.location, ['outer.zip', 'eicar.com']);
});

test('a gzip file delivers its content under the name in its header or its own name', async () => {
  const gzip = writeGzip(EICAR);
  const { files, findings } = await inspectCollecting(gzip, { fileName: 'eicar.com.gz', location: [] });
  assert.deepEqual(findings, []);
  assert.deepEqual(files.map((file) => [file.data, file.info.location, file.info.fileName]), [[EICAR, ['eicar.com'], 'eicar.com']]);

  const named = Buffer.from(gzip);
  named[3] |= 0x08; // FNAME
  const withName = Buffer.concat([named.subarray(0, 10), Buffer.from('original.com\0', 'latin1'), named.subarray(10)]);
  const { files: fromHeader } = await inspectCollecting(withName, { fileName: 'x.gz', location: [] });
  assert.deepEqual(fromHeader[0].info.location, ['original.com']);
  assert.deepEqual(fromHeader[0].data, EICAR);
});

test('a tar.gz is a gzip holding a tar', async () => {
  const tarGz = writeGzip(await writeTar([{ name: 'a/eicar.com', data: EICAR }, { name: 'b.txt', data: Buffer.from('hello') }]));
  const { files, findings } = await inspectCollecting(tarGz, { fileName: 'bundle.tgz', location: [] });
  assert.deepEqual(findings, []);
  assert.deepEqual(
    files.map((file) => [file.info.location, file.data.toString('latin1')]),
    [[['bundle.tar', 'a/eicar.com'], EICAR.toString('latin1')], [['bundle.tar', 'b.txt'], 'hello']],
  );
});

test('tar links, devices and directories are skipped without findings', async () => {
  const tar = await writeTar([
    { name: 'dir/', type: 'directory' },
    { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'hard', type: 'link', linkname: 'eicar.com' },
    { name: 'tty', type: 'character-device' },
    { name: 'eicar.com', data: EICAR },
  ]);
  const { files, findings } = await inspectCollecting(tar);
  assert.deepEqual(findings, []);
  assert.deepEqual(files.map((file) => file.info.location), [['eicar.com']]);
});

test('zip64 entries and end records are read', async () => {
  const zip = writeZip(
    [
      { name: 'eicar.com', data: EICAR, zip64: true },
      { name: 'stored.com', data: EICAR, method: 'store', zip64: true },
    ],
    { zip64End: true },
  );
  const { files, findings } = await inspectCollecting(zip);
  assert.deepEqual(findings, []);
  assert.deepEqual(files.map((file) => [file.info.location, file.data]), [[['eicar.com'], EICAR], [['stored.com'], EICAR]]);
});

test('a tar.gz inside a zip inside a gzip is descended all the way', async () => {
  const tarGz = writeGzip(await writeTar([{ name: 'eicar.com', data: EICAR }]));
  const outer = writeGzip(writeZip([{ name: 'inner.tar.gz', data: tarGz }]));
  const { files, findings } = await inspectCollecting(outer, { fileName: 'mail.zip.gz', location: [] });
  assert.deepEqual(findings, []);
  assert.deepEqual(files.map((file) => [file.info.location, file.data]), [[['mail.zip', 'inner.tar.gz', 'inner.tar', 'eicar.com'], EICAR]]);
});

test('names that would be unsafe or misleading are reported escaped, the file name keeps the original', async () => {
  const tricky = 'invoice\u202Efdp.exe';
  const zip = writeZip([
    { name: '../../etc/evil', data: Buffer.from('x') },
    { name: tricky, data: Buffer.from('y') },
    { name: 'a\u0000b\r\nc', data: Buffer.from('z') },
  ]);
  const { files, findings } = await inspectCollecting(zip);
  assert.deepEqual(findings, []);
  assert.deepEqual(
    files.map((file) => [file.info.location, file.info.fileName]),
    [
      [['../../etc/evil'], 'evil'],
      [['invoice\\u202efdp.exe'], tricky],
      [['a\\u0000b\\u000d\\u000ac'], 'a\u0000b\r\nc'],
    ],
  );
});

test('content that is no archive yields nothing', async () => {
  const { files, findings } = await inspectCollecting(EICAR, { fileName: 'eicar.com', location: [] });
  assert.deepEqual(files, []);
  assert.deepEqual(findings, []);
});

test('an error thrown by onFile is passed on unchanged', async () => {
  const failure = new Error('engine down');
  const zip = nestZips(EICAR, 'eicar.com', 2);
  await assert.rejects(
    inspectArchive(zip, { location: [] }, defaultArchiveLimits, async () => {
      throw failure;
    }),
    (error) => error === failure,
  );
  const tar = writeGzip(await writeTar([{ name: 'eicar.com', data: EICAR }]));
  await assert.rejects(
    inspectArchive(tar, { location: [] }, defaultArchiveLimits, async () => {
      throw failure;
    }),
    (error) => error === failure,
  );
});

test('an empty file marked deflated but with no data at all arrives empty', async () => {
  const zip = writeZip([{ name: 'empty.txt', data: Buffer.alloc(0), method: 'store', methodNumber: 8 }]);
  const { files, findings } = await inspectCollecting(zip);
  assert.deepEqual(findings, []);
  assert.deepEqual(files.map((file) => [file.info.location, file.data.length]), [[['empty.txt'], 0]]);
});
