// `inboxguard service` and `inboxguard logs` through the real CLI, in a temporary HOME without a
// systemd user manager (so nothing is started: the CLI says what to run). The unit file is verified
// with systemd-analyze where it exists, the launchd plist parsed by python's plistlib (plutil is macOS only).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findCommand } from '../../scripts/test-servers/find-command.js';
import { serviceInvocation } from '../../src/cli/service/invocation.js';
import { LAUNCHD_LABEL, renderLaunchdPlist } from '../../src/cli/service/launchd-plist.js';
import { assertRefused, runCli, startCli } from '../helpers/cli.js';
import { requireCommand } from '../helpers/require-servers.js';

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function run(command: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

describe('inboxguard service', () => {
  it('install writes the systemd user unit into HOME and says what to run; status and uninstall follow it', async () => {
    const home = tempDir('inboxguard-home-');
    const dataDir = tempDir('inboxguard-data-');
    const env = { HOME: home, XDG_RUNTIME_DIR: undefined };
    const unitPath = join(home, '.config', 'systemd', 'user', 'inboxguard.service');

    const installed = await runCli(['service', 'install'], dataDir, 30_000, env);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, new RegExp(`Installed the systemd user unit: ${unitPath.replace(/[.]/g, '\\.')}`));
    assert.match(installed.stdout, /run in your desktop session:\n {2}systemctl --user daemon-reload\n {2}systemctl --user enable --now inboxguard\.service/);
    const unit = readFileSync(unitPath, 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
    assert.ok(execStart.startsWith(`${process.execPath} `), execStart);
    assert.ok(execStart.endsWith(` --data-dir ${dataDir} start`), execStart);
    assert.match(execStart, / --max-semi-space-size=1 /, 'the proxy\'s node flags (young-generation.ts)');
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^WantedBy=default\.target$/m);

    if (findCommand('systemd-analyze')) {
      const verified = await run('systemd-analyze', ['verify', unitPath]);
      assert.equal(verified.code, 0, `systemd-analyze verify: ${verified.stdout}${verified.stderr}`);
      assert.equal(verified.stderr.trim(), '', verified.stderr);
    } else {
      process.stderr.write('SKIP assertion: systemd-analyze not installed, the unit file was not verified (apt-get install systemd)\n');
    }

    const status = await runCli(['service', 'status'], dataDir, 30_000, env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /inboxguard\.service is installed\nstate: unknown, systemd does not run for your user here/);

    const removed = await runCli(['service', 'uninstall'], dataDir, 30_000, env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /Removed .*inboxguard\.service\./);
    assert.match(removed.stdout, /systemctl --user disable --now inboxguard\.service/);
    assert.equal(existsSync(unitPath), false);

    const again = await runCli(['service', 'uninstall'], dataDir, 30_000, env);
    assert.match(again.stdout, /was not installed; nothing removed/);
    assert.match((await runCli(['service', 'status'], dataDir, 30_000, env)).stdout, /is not installed/);
  });

  it('the launchd agent plist parses as a property list with the expected fields', { skip: requireCommand('python3', 'python3') }, async () => {
    const plist = renderLaunchdPlist(serviceInvocation({ dataDir: '/Users/a & b/.inboxguard', nodePath: '/usr/local/bin/node', execArgv: [], script: '/opt/ig/main.js' }));
    const parsed = await run('python3', ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], plist);
    assert.equal(parsed.code, 0, parsed.stderr);
    assert.deepEqual(JSON.parse(parsed.stdout), {
      Label: LAUNCHD_LABEL,
      ProgramArguments: ['/usr/local/bin/node', '--max-semi-space-size=1', '/opt/ig/main.js', '--data-dir', '/Users/a & b/.inboxguard', 'start'],
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      StandardOutPath: '/Users/a & b/.inboxguard/logs/service.out',
      StandardErrorPath: '/Users/a & b/.inboxguard/logs/service.out',
    });
  });
});

describe('inboxguard logs', () => {
  const record = (msg: string, extra: Record<string, unknown> = {}) => `${JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5), pid: 1, hostname: 'h', msg, ...extra })}\n`;

  it('prints the last N lines readably, or as written with --json; refuses when there is no log yet', async () => {
    const dataDir = tempDir('inboxguard-data-');
    assertRefused(await runCli(['logs'], dataDir), /no log yet at .*inboxguard\.log/);
    mkdirSync(join(dataDir, 'logs'));
    writeFileSync(join(dataDir, 'logs', 'inboxguard.log'), record('first') + record('second', { session: 3 }) + record('third'));
    const two = await runCli(['logs', '-n', '2'], dataDir);
    assert.equal(two.code, 0, two.stderr);
    const lines = two.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} INFO  second session=3$/);
    assert.match(lines[1], /INFO  third$/);
    const json = await runCli(['logs', '--json', '-n', '1'], dataDir);
    assert.equal(json.stdout, record('third'));
    assertRefused(await runCli(['logs', '-n', 'many'], dataDir), /--lines many: give a whole number/);
  });

  it('-f prints lines as they are appended', async () => {
    const dataDir = tempDir('inboxguard-data-');
    mkdirSync(join(dataDir, 'logs'));
    const logPath = join(dataDir, 'logs', 'inboxguard.log');
    writeFileSync(logPath, record('before'));
    const follower = startCli(['logs', '-f', '-n', '1'], dataDir);
    let stdout = '';
    const seen = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`"${text}" not printed: ${stdout}`)), 20_000);
        const check = () => {
          if (!stdout.includes(text)) return;
          clearTimeout(timer);
          resolve();
        };
        follower.stdout?.on('data', check);
        check();
      });
    follower.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    try {
      await seen('INFO  before');
      appendFileSync(logPath, record('after'));
      await seen('INFO  after');
      assert.equal(stdout.match(/before/g)?.length, 1);
    } finally {
      const exited = new Promise((resolve) => follower.on('close', resolve));
      follower.kill('SIGINT');
      assert.equal(await exited, 0);
    }
  });
});
