// `inboxguard doctor` through the real CLI: a good setup (a real Dovecot as the upstream the "each
// upstream reachable" check probes; the self-test runs against doctor's own test upstream) exits 0,
// and each broken setup names its problem on a ✗ line and exits 1.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { CLAMD_PACKAGES, startClamd } from '../../scripts/test-servers/clamd.js';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { freePorts } from '../../scripts/test-servers/free-ports.js';
import { DOCTOR_CHECKS } from '../../src/doctor/registry.js';
import { runCli, startCli } from '../helpers/cli.js';
import { requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { giveTestCa } from '../helpers/inboxguard-ca.js';

const skip = requireDovecot();
const DOCTOR_TIMEOUT_MS = 120_000;

interface JsonReport {
  ok: boolean;
  checks: { check: string; ok: boolean; title: string; detail: string; fix?: string }[];
}

// Each test has its own data dir and ports; two at a time overlap one doctor's waits (worker start, handshakes) with another's work.
describe('inboxguard doctor', { skip, concurrency: 2 }, () => {
  let dovecot: DovecotServer;
  const dirs: string[] = [];
  before(async () => {
    dovecot = await startDovecot();
  });
  after(async () => {
    await dovecot?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A data dir with a CA (this process's test CA) and one IMAPS listener relaying to the Dovecot, changed by `edit`. */
  async function setup(edit: (config: Record<string, unknown>, listener: Record<string, unknown>) => void = () => {}): Promise<string> {
    const home = mkdtempSync(join(tmpdir(), 'inboxguard-doctor-test-'));
    dirs.push(home);
    await giveTestCa(home);
    const [listenPort] = await freePorts(1);
    const listener: Record<string, unknown> = {
      name: 'work',
      listen: `127.0.0.1:${listenPort}`,
      protocol: 'imap',
      tls: 'implicit',
      upstream: `127.0.0.1:${dovecot.ports.imaps}`,
      upstreamTls: 'implicit',
      upstreamCa: dovecot.caPath,
    };
    const config: Record<string, unknown> = { listeners: [listener] };
    edit(config, listener);
    writeFileSync(join(home, 'config.yaml'), stringify(config));
    return home;
  }

  // Trust stores are looked for in an empty tree of the data dir, never in this machine's (ca-trust.test.ts tests that check).
  const doctor = (home: string, args: string[] = []) => runCli(['doctor', '--home', join(home, 'desktop'), '--root', join(home, 'desktop'), ...args], home, DOCTOR_TIMEOUT_MS);

  function failedLine(stdout: string, pattern: RegExp): string {
    const line = stdout.split('\n').find((candidate) => candidate.startsWith('✗') && pattern.test(candidate));
    assert.ok(line, `no ✗ line matching ${pattern} in:\n${stdout}`);
    return line;
  }

  it('passes on a good setup: every check ✓, the self-test strips EICAR, exit 0; --json has one entry per line', async () => {
    const home = await setup((_config, listener) => Object.assign(listener, { protocol: 'auto' }));
    const result = await doctor(home, ['--json']);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(result.stdout) as JsonReport;
    assert.equal(report.ok, true);
    for (const line of report.checks) {
      assert.equal(line.ok, true, JSON.stringify(line));
      assert.equal(typeof line.title, 'string');
      assert.equal(typeof line.detail, 'string');
      assert.equal(line.fix, undefined);
    }
    assert.deepEqual([...new Set(report.checks.map((line) => line.check))], DOCTOR_CHECKS.map((check) => check.id));
    const byCheck = (id: string) => report.checks.filter((line) => line.check === id);
    assert.match(byCheck('upstream')[0].detail, /certificate valid for 127\.0\.0\.1, expires \d{4}-\d{2}-\d{2}/);
    // protocol auto: the self-test runs IMAP and POP3 through the listener.
    const selfTests = byCheck('self-test');
    assert.equal(selfTests.length, 2);
    assert.match(selfTests[0].title, /imap, client TLS implicit, upstream TLS implicit/);
    assert.match(selfTests[1].title, /pop3/);
    for (const line of selfTests) assert.match(line.detail, /EICAR attachment stripped, clean message byte-identical/);
  });

  it('prints one ✓/✗ line per check and no JSON without --json (STARTTLS on both legs, IMAP and POP3 self-tests)', async () => {
    const home = await setup((_config, listener) => Object.assign(listener, { protocol: 'auto', tls: 'starttls', upstreamTls: 'starttls', upstream: `127.0.0.1:${dovecot.ports.imap}` }));
    const result = await doctor(home);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const lines = result.stdout.trimEnd().split('\n');
    for (const line of lines) assert.match(line, /^✓ /);
    assert.ok(lines.some((line) => /^✓ upstream 127\.0\.0\.1:\d+ \(listener work\): reachable, certificate valid/.test(line)), result.stdout);
    assert.ok(lines.some((line) => /^✓ self-test work \(imap, client TLS starttls, upstream TLS starttls\)/.test(line)), result.stdout);
    assert.ok(lines.some((line) => /^✓ self-test work \(pop3, client TLS starttls, upstream TLS starttls\)/.test(line)), result.stdout);
  });

  it('names a listen port taken by another program', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const home = await setup((_config, listener) => Object.assign(listener, { listen: `127.0.0.1:${port}` }));
      const result = await doctor(home);
      assert.equal(result.code, 1, result.stdout);
      assert.match(failedLine(result.stdout, /listener work port/), new RegExp(`127\\.0\\.0\\.1:${port} is in use by another program → stop that program`));
    } finally {
      taken.close();
    }
  });

  it('accepts a listen port held by the running inboxguard of the same data dir', async () => {
    const home = await setup();
    const proxy = startCli(['start'], home);
    try {
      await new Promise<void>((resolve, reject) => {
        let stdout = '';
        const timer = setTimeout(() => reject(new Error(`no start banner: ${stdout}`)), 30_000);
        proxy.stdout?.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          if (stdout.includes('Stop with Ctrl-C')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const result = await doctor(home, ['--json']);
      const report = JSON.parse(result.stdout) as JsonReport;
      const port = report.checks.find((line) => line.check === 'listener-port');
      assert.equal(port?.ok, true, JSON.stringify(port));
      assert.match(port!.detail, new RegExp(`is held by this inboxguard \\(pid ${proxy.pid}\\)`));
      assert.equal(result.code, 0, result.stdout);
    } finally {
      const exited = new Promise((resolve) => proxy.on('close', resolve));
      proxy.kill('SIGTERM');
      await exited;
    }
    assert.equal(existsSync(join(home, 'control.sock')), false, 'the stopped proxy removes its control socket');
  });

  it('names an unreachable upstream', async () => {
    const [closedPort] = await freePorts(1);
    const home = await setup((_config, listener) => Object.assign(listener, { upstream: `127.0.0.1:${closedPort}` }));
    const result = await doctor(home);
    assert.equal(result.code, 1, result.stdout);
    assert.match(failedLine(result.stdout, /^✗ upstream/), new RegExp(`upstream 127\\.0\\.0\\.1:${closedPort} refused the connection → check the host and port of listener work`));
  });

  it('names an upstream certificate not trusted for its name', async () => {
    const home = await setup((_config, listener) => delete listener.upstreamCa);
    const result = await doctor(home);
    assert.equal(result.code, 1, result.stdout);
    assert.match(failedLine(result.stdout, /^✗ upstream/), /certificate for 127\.0\.0\.1 not trusted.*→ .*upstreamCa/);
  });

  it('names clamd when it is configured but not running', async () => {
    const [closedPort] = await freePorts(1);
    const home = await setup((config) => Object.assign(config, { scan: { engines: ['builtin', 'clamd'], clamd: { address: `127.0.0.1:${closedPort}` } } }));
    const result = await doctor(home, ['--json']);
    assert.equal(result.code, 1, result.stdout);
    const report = JSON.parse(result.stdout) as JsonReport;
    assert.equal(report.ok, false);
    const clamd = report.checks.find((line) => line.check === 'clamd');
    assert.equal(clamd?.ok, false);
    assert.match(clamd!.detail, new RegExp(`127\\.0\\.0\\.1:${closedPort} does not answer`));
    assert.match(clamd!.fix!, /start clamd/);
  });

  it('shows a running clamd with its version, and the self-test scans with it', { skip: requireCommand('clamd', CLAMD_PACKAGES) }, async () => {
    const clamd = await startClamd();
    try {
      const home = await setup((config) => Object.assign(config, { scan: { engines: ['clamd'], clamd: { address: `127.0.0.1:${clamd.port}` } } }));
      const result = await doctor(home, ['--json']);
      assert.equal(result.code, 0, result.stdout);
      const report = JSON.parse(result.stdout) as JsonReport;
      const line = report.checks.find((candidate) => candidate.check === 'clamd');
      assert.match(line!.detail, new RegExp(`127\\.0\\.0\\.1:${clamd.port} answers: ClamAV`));
      assert.equal(report.checks.find((candidate) => candidate.check === 'self-test')?.ok, true);
    } finally {
      await clamd.stop();
    }
  });

  it('names a bad configuration with FILE:LINE and runs no check that needs it', async () => {
    const home = await setup();
    const configPath = join(home, 'config.yaml');
    writeFileSync(configPath, 'listeners:\n  - name: work\n    listen: 127.0.0.1:10993\n    upstream: 127.0.0.1:993\n    tls: sometimes\n');
    const result = await doctor(home);
    assert.equal(result.code, 1, result.stdout);
    assert.match(failedLine(result.stdout, /^✗ configuration/), new RegExp(`${configPath.replace(/[.]/g, '\\.')}:5: listeners\\.0\\.tls: .*→ correct`));
    assert.doesNotMatch(result.stdout, /self-test|upstream/);
  });

  it('names a CA key other users can read (mode 0644), and only that (plaintext legs: the self-tests pass)', async () => {
    const home = await setup((_config, listener) => Object.assign(listener, { protocol: 'auto', tls: 'none', upstreamTls: 'none', upstream: `127.0.0.1:${dovecot.ports.imap}` }));
    const keyPath = join(home, 'certs', 'ca.key');
    chmodSync(keyPath, 0o644);
    const result = await doctor(home);
    assert.equal(result.code, 1, result.stdout);
    assert.match(failedLine(result.stdout, /^✗ CA key/), new RegExp(`mode 0644: other users can read .* → chmod 600 ${keyPath.replace(/[.]/g, '\\.')}`));
    const failed = result.stdout.split('\n').filter((line) => line.startsWith('✗'));
    assert.equal(failed.length, 1, result.stdout);
    assert.match(result.stdout, /^✓ self-test work \(imap, client TLS none, upstream TLS none\)/m);
    assert.match(result.stdout, /^✓ self-test work \(pop3, client TLS none, upstream TLS none\)/m);
  });

  it('fails the self-test when the settings let EICAR through (enabled: false)', async () => {
    const home = await setup((config) => Object.assign(config, { enabled: false }));
    const result = await doctor(home);
    assert.equal(result.code, 1, result.stdout);
    assert.match(failedLine(result.stdout, /^✗ self-test work/), /the EICAR message came through unchanged → scanning is off: set enabled: true/);
  });
});
