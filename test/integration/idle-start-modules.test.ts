// What an idle proxy has loaded, counted by module (issue #15, the idle floor): started through the real
// `inboxguard start`, with its CA and leaf certificate already on disk, it must not have loaded node-forge
// (needed only to mint certificates; about 1.7 MiB of heap).
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { startCli } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait-until.js';

const PROBE = fileURLToPath(new URL('../helpers/loaded-modules-probe.mjs', import.meta.url));
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Started {
  child: ChildProcess;
  port: number;
  loaded(): Promise<string[]>;
  stop(): Promise<void>;
}

async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function start(home: string, upstreamPort: number): Promise<Started> {
  const list = join(home, 'loaded-modules.json');
  const child = startCli(['start', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstreamPort}`, '--protocol', 'imap'], home, {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${PROBE}`.trim(),
    INBOXGUARD_TEST_LOADED_MODULES: list,
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  await waitUntil(() => stdout.includes('Stop with Ctrl-C') || child.exitCode !== null, () => `inboxguard to start: ${stdout} ${stderr}`);
  const port = Number(/port (\d+), connection security/.exec(stdout)?.[1]);
  assert.ok(port > 0, `inboxguard did not start: ${stdout} ${stderr}`);
  return {
    child,
    port,
    loaded: async () => {
      rmSync(list, { force: true });
      child.kill('SIGUSR2');
      await waitUntil(() => existsSync(list), 'the list of loaded modules');
      const { esm, cjs } = JSON.parse(readFileSync(list, 'utf8')) as { esm: string[]; cjs: string[] };
      return [...esm, ...cjs];
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A TLS handshake with the listener, as a mail client opens one: the proxy presents (and caches) its leaf for localhost. */
async function handshake(port: number, home: string): Promise<void> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(join(home, 'certs', 'ca.pem')) });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  socket.destroy();
}

describe('an idle proxy started with its CA and leaf on disk', () => {
  it('has not loaded node-forge, also after a client handshake served with the cached leaf', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inboxguard-idle-modules-'));
    dirs.push(home);
    const upstream = await closedPort();

    const first = await start(home, upstream);
    await handshake(first.port, home);
    // The first start minted the CA and the leaf: node-forge was needed then, and the probe sees it.
    assert.ok((await first.loaded()).some((module) => module.includes('/node_modules/node-forge/')), 'the probe must see node-forge when it is loaded');
    await first.stop();

    const second = await start(home, upstream);
    await handshake(second.port, home);
    const loaded = await second.loaded();
    await second.stop();
    assert.ok(loaded.some((module) => module.includes('/scan/pipeline.')), 'the probe must see the modules the proxy loaded');
    assert.deepEqual(loaded.filter((module) => module.includes('/node_modules/node-forge/')), []);
  });
});
