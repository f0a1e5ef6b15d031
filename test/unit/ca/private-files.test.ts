import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaError } from '../../../src/ca/ca-error.js';
import { assertOwnerOnly, ensurePrivateDir, writePrivateFile } from '../../../src/ca/private-files.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('private files', { skip: process.platform === 'win32' }, () => {
  let dir: string;
  let savedUmask: number;

  before(() => {
    dir = makeTempDir();
    // The most permissive umask: modes must come from chmod, not from the umask.
    savedUmask = process.umask(0o000);
  });

  after(() => {
    process.umask(savedUmask);
    removeTempDir(dir);
  });

  it('writes 0600 files and replaces them whole', () => {
    const path = join(dir, 'secret.key');
    writePrivateFile(path, 'first');
    assert.equal(modeOf(path), 0o600);
    chmodSync(path, 0o644);
    writePrivateFile(path, 'second');
    assert.equal(readFileSync(path, 'utf8'), 'second');
    assert.equal(modeOf(path), 0o600);
    assert.deepEqual(readdirSync(dir), ['secret.key'], 'no temporary files left behind');
  });

  it('makes new and existing directories 0700', () => {
    const fresh = join(dir, 'fresh', 'certs');
    ensurePrivateDir(fresh);
    assert.equal(modeOf(fresh), 0o700);
    const existing = join(dir, 'existing');
    mkdirSync(existing, { mode: 0o777 });
    ensurePrivateDir(existing);
    assert.equal(modeOf(existing), 0o700);
  });

  it('refuses files that group or others can read', () => {
    const path = join(dir, 'open.key');
    writeFileSync(path, 'x', { mode: 0o640 });
    assert.throws(() => assertOwnerOnly(path), (error: unknown) => error instanceof CaError && /mode 0640.*chmod 600/.test(error.message));
    chmodSync(path, 0o600);
    assertOwnerOnly(path);
  });
});
