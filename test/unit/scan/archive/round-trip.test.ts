import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { writeTar } from './archive-builders.js';
import { inspectCollecting } from './inspect-helper.js';
import { writeZip } from './zip-writer.js';

const segment = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._ -]{0,11}$/).filter((name) => name !== '.' && name !== '..');
const filePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('/'));

/** Paths where no file is also a directory of another file. */
const fileTree = fc
  .uniqueArray(fc.record({ path: filePath, data: fc.uint8Array({ maxLength: 3000 }), store: fc.boolean() }), {
    selector: (file) => file.path,
    maxLength: 20,
  })
  .filter((files) => files.every((file) => !files.some((other) => other.path.startsWith(`${file.path}/`))));

test('every file of a random tree zipped is delivered once with identical bytes', async () => {
  await fc.assert(
    fc.asyncProperty(fileTree, async (files) => {
      const zip = writeZip(files.map((file) => ({ name: file.path, data: Buffer.from(file.data), method: file.store ? 'store' : 'deflate' })));
      const { files: delivered, findings } = await inspectCollecting(zip, { fileName: 'tree.zip', location: [] });
      assert.deepEqual(findings, []);
      assert.deepEqual(
        delivered.map((file) => [file.info.location, file.info.fileName, file.data]),
        files.map((file) => [[file.path], file.path.split('/').at(-1), Buffer.from(file.data)]),
      );
    }),
    { numRuns: 150 },
  );
});

test('every file of a random tree in a tar is delivered once with identical bytes', async () => {
  await fc.assert(
    fc.asyncProperty(fileTree, async (files) => {
      const tar = await writeTar(files.map((file) => ({ name: file.path, data: Buffer.from(file.data) })));
      const { files: delivered, findings } = await inspectCollecting(tar, { fileName: 'tree.tar', location: [] });
      assert.deepEqual(findings, []);
      assert.deepEqual(
        delivered.map((file) => [file.info.location, file.data]),
        files.map((file) => [[file.path], Buffer.from(file.data)]),
      );
    }),
    { numRuns: 80 },
  );
});
