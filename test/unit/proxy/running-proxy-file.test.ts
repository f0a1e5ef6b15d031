// <data-dir>/inboxguard.pid: written 0600 by the running proxy, read by doctor only while that process
// lives, removed only by the process it names.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readRunningProxyFile, removeRunningProxyFile, runningProxyFilePath, writeRunningProxyFile } from '../../../src/proxy/running-proxy-file.js';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-pidfile-'));
  dirs.push(dir);
  return dir;
};
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('running proxy file', () => {
  const record = { pid: process.pid, listeners: [{ name: 'work', address: '127.0.0.1', port: 10993 }] };

  it('round-trips the record of a live process; the file is 0600', { skip: process.platform === 'win32' && 'no POSIX modes' }, () => {
    const dir = dataDir();
    writeRunningProxyFile(dir, record);
    assert.equal(statSync(runningProxyFilePath(dir)).mode & 0o777, 0o600);
    assert.deepEqual(readRunningProxyFile(dir), record);
  });

  it('a record whose process has exited, or that is not a record, reads as none', () => {
    const dir = dataDir();
    const exited = spawnSync(process.execPath, ['-e', '']).pid!;
    writeRunningProxyFile(dir, { ...record, pid: exited });
    assert.equal(readRunningProxyFile(dir), undefined);
    writeFileSync(runningProxyFilePath(dir), 'not json');
    assert.equal(readRunningProxyFile(dir), undefined);
    assert.equal(readRunningProxyFile(dataDir()), undefined);
  });

  it('is removed only by the process it names', () => {
    const dir = dataDir();
    writeRunningProxyFile(dir, record);
    removeRunningProxyFile(dir, process.pid + 1);
    assert.equal(existsSync(runningProxyFilePath(dir)), true);
    removeRunningProxyFile(dir);
    assert.equal(existsSync(runningProxyFilePath(dir)), false);
  });
});
