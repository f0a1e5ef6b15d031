import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writePrivateFilesAsync } from '../../../src/private-files.js';

describe('writePrivateFilesAsync (several files replaced in one durable step)', { skip: process.platform === 'win32' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'inboxguard-private-files-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes bytes and a copied file prefix with its tail, 0600, and leaves no temporary', async () => {
    const source = join(dir, 'spool');
    writeFileSync(source, 'file part and more');
    const eml = join(dir, 'a.eml');
    const json = join(dir, 'a.json');
    await writePrivateFilesAsync([
      { path: eml, content: { source, sourceBytes: 'file part'.length, tail: Buffer.from(' + tail') } },
      { path: json, content: { data: '{"id":"a"}\n' } },
    ]);
    assert.equal(readFileSync(eml, 'utf8'), 'file part + tail');
    assert.equal(readFileSync(json, 'utf8'), '{"id":"a"}\n');
    for (const path of [eml, json]) assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).sort(), ['a.eml', 'a.json', 'spool']);
  });

  it('replaces no file when any of them cannot be written, and removes every temporary', async () => {
    const eml = join(dir, 'b.eml');
    const json = join(dir, 'b.json');
    writeFileSync(eml, 'old original');
    writeFileSync(json, 'old record');
    await assert.rejects(
      writePrivateFilesAsync([
        { path: eml, content: { data: 'new original' } },
        { path: json, content: { source: join(dir, 'missing'), sourceBytes: 1, tail: Buffer.alloc(0) } },
      ]),
      /ENOENT/,
    );
    assert.equal(readFileSync(eml, 'utf8'), 'old original');
    assert.equal(readFileSync(json, 'utf8'), 'old record');
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('b.')).sort(), ['b.eml', 'b.json']);
  });
});
