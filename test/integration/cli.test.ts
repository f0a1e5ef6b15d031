import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assertRefused, runCli, startCli } from '../helpers/cli.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-cli-'));
  dirs.push(dir);
  return dir;
}
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));


// Each test has its own data dir and listens on port 0: two at a time keep both cores busy while one waits for a CLI.
describe('inboxguard CLI', { concurrency: 2 }, () => {
  it('ca init creates a 0600 key in a 0700 directory and is idempotent; show and export work', async () => {
    const home = dataDir();
    const first = await runCli(['ca', 'init'], home);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Created a new root CA/);
    const keyPath = join(home, 'certs', 'ca.key');
    const certPath = join(home, 'certs', 'ca.pem');
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'certs')).mode & 0o777, 0o700);
    const cert = readFileSync(certPath);
    const key = readFileSync(keyPath);

    const second = await runCli(['ca', 'init'], home);
    assert.equal(second.code, 0);
    assert.match(second.stdout, /already exists; nothing changed/);
    assert.deepEqual(readFileSync(certPath), cert);
    assert.deepEqual(readFileSync(keyPath), key);

    const shown = await runCli(['ca', 'show'], home);
    assert.match(shown.stdout, /Subject: +.*inboxguard/);
    assert.match(shown.stdout, /SHA-256: +([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    const exported = await runCli(['ca', 'export', '--format', 'der', '--out', join(home, 'ca.der')], home);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(readFileSync(join(home, 'ca.der'))[0], 0x30, 'DER starts with a SEQUENCE');

    const forced = await runCli(['ca', 'init', '--force'], home);
    assert.match(forced.stdout, /Created a new root CA/);
    assert.notDeepEqual(readFileSync(certPath), cert);
  });

  it('listeners add/list/remove edit the config file, and config validate/show/path read it', async () => {
    const home = dataDir();
    const added = await runCli(['listeners', 'add', '--name', 'work', '--upstream', 'imap.example.com:993'], home);
    assert.equal(added.code, 0, added.stderr);
    const listed = await runCli(['listeners', 'list', '--json'], home);
    const listeners = JSON.parse(listed.stdout) as { name: string; listen: string; protocol: string }[];
    assert.deepEqual(listeners.map((l) => [l.name, l.listen, l.protocol]), [['work', '127.0.0.1:10993', 'imap']]);
    const duplicate = await runCli(['listeners', 'add', '--name', 'work', '--upstream', 'imap.example.com:993'], home);
    assertRefused(duplicate, /already exists/);
    assert.equal((await runCli(['config', 'validate'], home)).code, 0);
    assert.equal((await runCli(['config', 'path'], home)).stdout.trim(), join(home, 'config.yaml'));
    assert.match((await runCli(['config', 'show'], home)).stdout, /upstream: imap\.example\.com:993/);
    assert.equal((await runCli(['listeners', 'remove', 'work'], home)).code, 0);
    assert.deepEqual(JSON.parse((await runCli(['listeners', 'list', '--json'], home)).stdout), []);
  });

  it('an invalid config file is one line naming file, line and problem, exit 2', async () => {
    const home = dataDir();
    const file = join(home, 'bad.yaml');
    writeFileSync(file, 'listeners:\n  - name: x\n    listen: 127.0.0.1:10993\n    upstream: imap.example.com:99999\n');
    const result = await runCli(['config', 'validate', file], home);
    assertRefused(result, new RegExp(`${file.replace(/[.]/g, '\\.')}:4: listeners\\.0\\.upstream: port 99999`));
    const start = await runCli(['--config', file, 'start'], home);
    assertRefused(start, /:4: listeners\.0\.upstream/);
    const missing = await runCli(['config', 'validate', join(home, 'nope.yaml')], home);
    assertRefused(missing, /cannot read config file: ENOENT/);
  });

  it('a missing scan.signatureDirs entry is one line naming the setting, exit 2, for start and scan', async () => {
    const home = dataDir();
    const file = join(home, 'config.yaml');
    const missing = join(home, 'no-such-signatures');
    writeFileSync(file, `scan:\n  signatureDirs: ["${missing}"]\n`);
    const pattern = new RegExp(`scan\\.signatureDirs: ${missing.replace(/[.]/g, '\\.')} does not exist or is not a directory`);
    assertRefused(await runCli(['--config', file, 'start', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:993'], home), pattern);
    assertRefused(await runCli(['--config', file, 'scan', file], home), pattern);
  });

  it('start: a port in use, an unknown upstream host and a missing --upstream are one-line errors', async () => {
    const home = dataDir();
    const busy = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => busy.once('listening', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const inUse = await runCli(['start', '--listen', `127.0.0.1:${port}`, '--upstream', '127.0.0.1:993'], home);
        assertRefused(inUse, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      busy.close();
    }
    const unknown = await runCli(['start', '--upstream', 'no-such-host.invalid:993'], home);
    assertRefused(unknown, /cannot resolve upstream host no-such-host\.invalid/);
    const nothing = await runCli(['start'], home);
    assertRefused(nothing, /no listeners/);
    const remote = await runCli(['start', '--listen', '0.0.0.0:0', '--upstream', '127.0.0.1:993'], home);
    assertRefused(remote, /--listen: .*allowRemote/);
  });

  it('start creates the CA, prints what to enter in the mail client, and stops cleanly on SIGTERM', async () => {
    const home = dataDir();
    const child = startCli(['start', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:993'], home);
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start banner: ${stdout}`)), 20_000);
      child.stdout?.on('data', () => {
        if (stdout.includes('Stop with Ctrl-C')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    assert.match(stdout, /created a new root CA/);
    assert.match(stdout, /IMAP server 127\.0\.0\.1, port \d+, connection security SSL\/TLS/);
    assert.match(stdout, new RegExp(`${join(home, 'certs', 'ca.pem').replace(/[.]/g, '\\.')}`));
    const exit = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
  });
});
