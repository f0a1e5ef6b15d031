// The control endpoint on a real Unix socket: who may use it, one proxy per data dir, stale sockets,
// and that nothing listens on TCP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ControlNotRunningError, requestControl } from '../../src/control/client.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import { UserError } from '../../src/user-error.js';
import { sampleHolds, TestHoldRegistry } from '../helpers/test-hold-registry.js';

const root = mkdtempSync(join(tmpdir(), 'inboxguard-control-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const dataDir = () => mkdtempSync(join(root, `d${counter++}-`));

function start(dir: string, registry = new TestHoldRegistry(sampleHolds())): Promise<ControlServer> {
  return startControlServer(dir, { holds: registry, forgetVerdict: () => false, status: () => ({ pid: process.pid }) });
}

/** Inodes of the TCP sockets this process has in LISTEN state (Linux /proc). */
function listeningTcpInodes(): Set<string> {
  const mine = new Set(readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      return match ? [match[1]] : [];
    } catch {
      return [];
    }
  }));
  const listening = ['/proc/net/tcp', '/proc/net/tcp6'].filter(existsSync).flatMap((table) =>
    readFileSync(table, 'utf8').split('\n').slice(1).map((line) => line.trim().split(/\s+/)).filter((fields) => fields[3] === '0A').map((fields) => fields[9]),
  );
  return new Set(listening.filter((inode) => mine.has(inode)));
}

describe('control endpoint', { skip: process.platform === 'win32' ? 'Unix sockets; the Windows named pipe is not tested here' : false }, () => {
  it('is a 0600 socket at <data-dir>/control.sock even under umask 0, with no temporary directory left', async () => {
    const dir = dataDir();
    const previous = process.umask(0);
    let server: ControlServer;
    try {
      server = await start(dir);
    } finally {
      process.umask(previous);
    }
    try {
      assert.equal(server.path, join(dir, 'control.sock'));
      const stats = lstatSync(server.path);
      assert.ok(stats.isSocket());
      assert.equal(stats.mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(dir), ['control.sock']);
    } finally {
      await server.close();
    }
  });

  it('answers JSON over the socket and opens no TCP listener', { skip: existsSync('/proc/net/tcp') ? false : 'needs Linux /proc' }, async () => {
    const dir = dataDir();
    const before = listeningTcpInodes();
    const registry = new TestHoldRegistry(sampleHolds());
    const server = await start(dir, registry);
    try {
      assert.deepEqual(listeningTcpInodes(), before);
      const listed = await requestControl(dir, 'GET', '/holds');
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body, { holds: sampleHolds() });
      assert.deepEqual(await requestControl(dir, 'POST', '/holds/h1/release'), { status: 200, body: { id: 'h1', released: true } });
      assert.deepEqual(registry.released, ['h1']);
      assert.deepEqual(await requestControl(dir, 'DELETE', '/holds'), { status: 405, body: { error: '/holds does not take DELETE' } });
      const raw = await new Promise<{ type?: string; allow?: string }>((resolve, reject) => {
        request({ socketPath: server.path, method: 'PUT', path: '/status' }, (response) => {
          response.resume();
          resolve({ type: response.headers['content-type'], allow: response.headers.allow });
        }).on('error', reject).end('ignored body');
      });
      assert.deepEqual(raw, { type: 'application/json; charset=utf-8', allow: 'GET' });
    } finally {
      await server.close();
    }
    assert.equal(existsSync(join(dir, 'control.sock')), false, 'close removes the socket');
    await assert.rejects(requestControl(dir, 'GET', '/status'), (error: unknown) => error instanceof ControlNotRunningError && error.message === `inboxguard is not running (no control socket at ${join(dir, 'control.sock')})`);
  });

  it('a second server on the same data dir is refused while the first runs; the first keeps its socket', async () => {
    const dir = dataDir();
    const first = await start(dir);
    try {
      await assert.rejects(start(dir), (error: unknown) => error instanceof UserError && /^inboxguard is already running with data dir .* \(its control socket .*control\.sock answers\); stop it first$/.test(error.message));
      assert.deepEqual(readdirSync(dir), ['control.sock']);
      assert.equal((await requestControl(dir, 'GET', '/status')).status, 200);
    } finally {
      await first.close();
    }
  });

  it('a socket left by a killed process is stale: clients say nothing runs, the next server replaces it', async () => {
    const dir = dataDir();
    const path = join(dir, 'control.sock');
    const child = spawn(process.execPath, ['-e', "require('node:net').createServer().listen(process.argv[1], () => console.log('up'))", path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    assert.ok(lstatSync(path).isSocket(), 'SIGKILL leaves the socket file behind');
    await assert.rejects(requestControl(dir, 'GET', '/status'), (error: unknown) => error instanceof ControlNotRunningError && /nothing answers on the control socket/.test(error.message));
    const server = await start(dir);
    try {
      assert.equal(lstatSync(path).mode & 0o777, 0o600);
      assert.deepEqual(await requestControl(dir, 'GET', '/status'), { status: 200, body: { pid: process.pid } });
    } finally {
      await server.close();
    }
  });

  it('a file that is not a socket is refused and left alone', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'control.sock'), 'mine');
    await assert.rejects(start(dir), (error: unknown) => error instanceof UserError && /control\.sock exists and is not a socket; remove it/.test(error.message));
    assert.equal(readFileSync(join(dir, 'control.sock'), 'utf8'), 'mine');
    assert.deepEqual(readdirSync(dir), ['control.sock']);
  });

  it("close leaves a socket alone that is no longer this server's", async () => {
    const dir = dataDir();
    const first = await start(dir);
    rmSync(first.path);
    const second = await start(dir);
    await first.close();
    assert.equal((await requestControl(dir, 'GET', '/status')).status, 200);
    await second.close();
    assert.equal(existsSync(second.path), false);
  });
});
