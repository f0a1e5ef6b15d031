import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { resolveDataDir } from '../../../src/ca/datadir.js';

describe('resolveDataDir', () => {
  it('prefers the flag over the environment', () => {
    assert.equal(resolveDataDir('/srv/ig', { INBOXGUARD_HOME: '/env/ig' }), '/srv/ig');
  });

  it('uses INBOXGUARD_HOME when there is no flag', () => {
    assert.equal(resolveDataDir(undefined, { INBOXGUARD_HOME: '/env/ig' }), '/env/ig');
  });

  it('falls back to ~/.inboxguard, also for empty values', () => {
    assert.equal(resolveDataDir(undefined, {}), join(homedir(), '.inboxguard'));
    assert.equal(resolveDataDir('', { INBOXGUARD_HOME: '' }), join(homedir(), '.inboxguard'));
  });

  it('makes relative paths absolute', () => {
    const dir = resolveDataDir('relative/dir', {});
    assert.ok(isAbsolute(dir));
    assert.equal(dir, resolve('relative/dir'));
  });

  it('reads process.env by default', () => {
    const saved = process.env.INBOXGUARD_HOME;
    process.env.INBOXGUARD_HOME = '/from/process/env';
    try {
      assert.equal(resolveDataDir(), '/from/process/env');
    } finally {
      if (saved === undefined) delete process.env.INBOXGUARD_HOME;
      else process.env.INBOXGUARD_HOME = saved;
    }
  });
});
