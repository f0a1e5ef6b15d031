// The `command` analysis backend with real programs: small sh/python3 scripts this test writes (exit
// codes, JSON, garbage, 10 MB of output, sleeping, ignoring SIGTERM, leaving children behind,
// crashing), and clamdscan against a real clamd as one real scanner.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLAMD_PACKAGES, startClamd, type ClamdServer } from '../../scripts/test-servers/clamd.js';
import { CommandBackendConfigError, createCommandBackend, type CommandBackendOptions } from '../../src/scan/analysis/command-backend.js';
import { EICAR_STRING } from '../../src/scan/engines/builtin/eicar.js';
import { requireAll, requireCommand } from '../helpers/require-servers.js';

const skip = requireAll(requireCommand('python3', 'python3'), requireCommand('sh', 'dash'));
const clamdSkip = requireAll(requireCommand('clamd', CLAMD_PACKAGES), requireCommand('clamdscan', 'clamdscan'));

const root = mkdtempSync(join(tmpdir(), 'ig-command-backend-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes an executable script and returns its path. */
function script(name: string, text: string): string {
  const path = join(root, name);
  writeFileSync(path, text);
  chmodSync(path, 0o700);
  return path;
}

/** A fresh parent for the backend's temporary directories, so a test can see that nothing is left. */
function tempParent(): string {
  return mkdtempSync(join(root, 'tmp-'));
}

function backend(argv: string[], over: Partial<CommandBackendOptions> = {}) {
  const tempDir = tempParent();
  return { tempDir, backend: createCommandBackend({ name: 'test', argv, timeoutMs: 10_000, maxConcurrent: 2, killGraceMs: 200, tempDir, ...over }) };
}

/** A killed process whose parent is gone may stay a zombie (a container's PID 1 need not reap it): dead. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  const state = readFileSync(stat, 'utf8').replace(/^.*\) /s, '')[0];
  return state !== 'Z' && state !== 'X';
}

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 500 && !existsSync(path); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return readFileSync(path, 'utf8');
}

// A program left running keeps its pipes open and the analysis pending: the timeout turns that hang into a failure.
describe('command analysis backend with real programs', { skip, timeout: 60_000 }, () => {
  let exitWith: string;
  let inspect: string;
  let sleeper: string;
  before(() => {
    // Exits with the status given as its first argument, after checking it can read the file.
    exitWith = script('exit-with.sh', '#!/bin/sh\ntest -r "$2" || exit 9\nexit "$1"\n');
    // Reports what the program sees: path, modes of file and dir, content; then answers by content.
    inspect = script(
      'inspect.py',
      [
        '#!/usr/bin/env python3',
        'import json, os, sys',
        'path, report = sys.argv[1], sys.argv[2]',
        'data = open(path, "rb").read()',
        'json.dump({"path": path, "file": os.stat(path).st_mode & 0o777, "dir": os.stat(os.path.dirname(path)).st_mode & 0o777, "content": data.decode("latin1")}, open(report, "w"))',
        'sys.exit(1 if b"EVIL" in data else 0)',
        '',
      ].join('\n'),
    );
    // Writes its pid, then sleeps.
    sleeper = script('sleeper.sh', '#!/bin/sh\necho $$ > "$2"\nexec sleep 1000\n');
  });

  it('maps exit status 0, 1, 2 to clean, malicious, suspicious; anything else is an error', async () => {
    const { backend: b, tempDir } = backend([exitWith, '', '{file}']);
    const cases: Array<[number, string]> = [[0, 'clean'], [1, 'malicious'], [2, 'suspicious'], [3, 'error'], [127, 'error']];
    for (const [status, verdict] of cases) {
      const ran = createCommandBackend({ name: 'test', argv: [exitWith, String(status), '{file}'], timeoutMs: 10_000, maxConcurrent: 1, tempDir });
      const result = await ran.analyse(Buffer.from('x'));
      assert.equal(result.verdict, verdict, `exit ${status}`);
      assert.equal(result.backend, 'test');
      if (verdict === 'error') assert.match(result.detail ?? '', new RegExp(`exit status ${status}`));
    }
    assert.equal(b.name, 'test');
    assert.deepEqual(readdirSync(tempDir), [], 'every temporary copy removed');
  });

  it('hands the program a 0600 copy of the part in a 0700 directory, named safely, and removes it', async () => {
    const report = join(root, 'inspect.json');
    const { backend: b, tempDir } = backend([inspect, '{file}', report]);
    const content = Buffer.from('harmless \x00\xff bytes', 'latin1');
    assert.equal((await b.analyse(content, { name: '../../x y;$(rm -rf ~).PDF' })).verdict, 'clean');
    const seen = JSON.parse(readFileSync(report, 'utf8')) as { path: string; file: number; dir: number; content: string };
    assert.equal(seen.file, 0o600);
    assert.equal(seen.dir, 0o700);
    assert.equal(seen.content, content.toString('latin1'));
    assert.ok(seen.path.startsWith(`${tempDir}/ig-analysis-`), seen.path);
    assert.ok(seen.path.endsWith('/x_y___rm_-rf___.PDF'), seen.path);
    assert.equal(existsSync(seen.path), false);
    assert.equal((await b.analyse(Buffer.from('an EVIL part'))).verdict, 'malicious');
    assert.match(JSON.parse(readFileSync(report, 'utf8')).path, /\/part$/, 'no name: "part"');
    assert.deepEqual(readdirSync(tempDir), []);
  });

  it('substitutes {file} inside an argument, and passes other arguments untouched (no shell)', async () => {
    const echo = script('echo-args.py', '#!/usr/bin/env python3\nimport json, sys\nprint(json.dumps({"verdict": "suspicious", "name": "|".join(sys.argv[1:])}))\n');
    const { backend: b } = backend([echo, '--file={file}', '$HOME', '; exit 1', '*']);
    const result = await b.analyse(Buffer.from('x'), { name: 'a.doc' });
    assert.equal(result.verdict, 'suspicious');
    const [file, ...rest] = (result.name ?? '').split('|');
    assert.match(file, /^--file=\/.*\/ig-analysis-[^/]+\/a\.doc$/);
    assert.deepEqual(rest, ['$HOME', '; exit 1', '*']);
  });

  it('reads a JSON answer on stdout: its verdict and name replace the exit status\'s', async () => {
    const answer = script('answer.sh', '#!/bin/sh\nprintf \'%s\\n\' "$1"\nexit "$2"\n');
    const run = async (stdout: string, status: number) => (await backend([answer, stdout, String(status), '{file}']).backend.analyse(Buffer.from('x')));
    assert.deepEqual(await run('{"verdict": "malicious", "name": "Sandbox.Dropper"}', 0), { verdict: 'malicious', name: 'Sandbox.Dropper', backend: 'test' });
    assert.deepEqual(await run('  {"verdict": "clean", "extra": [1, 2]}', 1), { verdict: 'clean', backend: 'test' });
    assert.equal((await run('{"verdict": "malicious"}', 4)).verdict, 'error', 'a status outside 0-2 is an error whatever it printed');
    const broken = await run('{"verdict": "malicious"', 1);
    assert.equal(broken.verdict, 'error');
    assert.match(broken.detail ?? '', /not valid JSON/);
    const wrong = await run('{"verdict": "infected", "name": 7}', 0);
    assert.equal(wrong.verdict, 'error');
    assert.match(wrong.detail ?? '', /verdict/);
  });

  it('garbage on stdout (not JSON) leaves the exit status in charge and becomes a printable detail', async () => {
    const garbage = script('garbage.py', '#!/usr/bin/env python3\nimport os, sys\nsys.stdout.buffer.write(b"\\n\\n  scanned: \\x1b[31mBAD\\x00thing\\xff\\nsecond line\\n" + os.urandom(2000))\nsys.exit(2)\n');
    const result = await backend([garbage, '{file}']).backend.analyse(Buffer.from('x'));
    assert.equal(result.verdict, 'suspicious');
    assert.match(result.detail ?? '', /^scanned: \?\[31mBAD\?thing/);
    assert.doesNotMatch(result.detail ?? '', /[\u0000-\u001f]/);
  });

  it('10 MB on stdout: killed at the output bound, an error, nothing left behind', async () => {
    const flood = script('flood.py', '#!/usr/bin/env python3\nimport sys\nsys.stdout.buffer.write(b"x" * (10 * 1024 * 1024))\n');
    const { backend: b, tempDir } = backend([flood, '{file}'], { maxOutputBytes: 64 * 1024 });
    const result = await b.analyse(Buffer.from('x'));
    assert.equal(result.verdict, 'error');
    assert.match(result.detail ?? '', /printed more than 65536 bytes/);
    assert.deepEqual(readdirSync(tempDir), []);
  });

  it('at its timeout the program is killed, with what it started, and its copy removed', async () => {
    // The shell starts sleep as a child (no exec) and ignores SIGTERM: only SIGKILL to the group ends both.
    const stubborn = script('stubborn.sh', '#!/bin/sh\ntrap "" TERM\nsleep 1000 &\necho $$ $! > "$2"\nwait\n');
    const pids = join(root, 'stubborn.pids');
    const { backend: b, tempDir } = backend([stubborn, '{file}', pids], { timeoutMs: 500, killGraceMs: 100 });
    const result = await b.analyse(Buffer.from('x'));
    assert.equal(result.verdict, 'error');
    assert.match(result.detail ?? '', /no answer within 500 ms/);
    const [shell, child] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    assert.equal(alive(shell), false, 'the program');
    assert.equal(alive(child), false, 'its child');
    assert.deepEqual(readdirSync(tempDir), []);
  });

  it('a program that exits and leaves a child holding stdout: the child is ended, the verdict stands', async () => {
    const leaver = script('leaver.sh', '#!/bin/sh\nsleep 1000 &\necho $! > "$2"\nexit 1\n');
    const pid = join(root, 'leaver.pid');
    const result = await backend([leaver, '{file}', pid], { timeoutMs: 60_000 }).backend.analyse(Buffer.from('x'));
    assert.equal(result.verdict, 'malicious');
    assert.equal(alive(Number(readFileSync(pid, 'utf8'))), false);
  });

  it('an abort kills the program, removes the copy and rejects with the reason', async () => {
    const pidFile = join(root, 'abort.pid');
    const { backend: b, tempDir } = backend([sleeper, '{file}', pidFile]);
    const controller = new AbortController();
    const pending = b.analyse(Buffer.from('x'), { signal: controller.signal });
    const pid = Number(await waitForFile(pidFile));
    assert.equal(alive(pid), true);
    const reason = new Error('session closed');
    controller.abort(reason);
    await assert.rejects(pending, (error) => error === reason);
    assert.equal(alive(pid), false);
    assert.deepEqual(readdirSync(tempDir), []);
    await assert.rejects(b.analyse(Buffer.from('x'), { signal: controller.signal }), (error) => error === reason, 'already aborted: nothing runs');
    assert.deepEqual(readdirSync(tempDir), []);
  });

  it('a program that crashes (signal) or cannot start, or a copy that cannot be written, is an error', async () => {
    const crash = script('crash.sh', '#!/bin/sh\necho "segfault in parser" >&2\nkill -SEGV $$\n');
    const { backend: crashing, tempDir } = backend([crash, '{file}']);
    const crashed = await crashing.analyse(Buffer.from('x'));
    assert.equal(crashed.verdict, 'error');
    assert.equal(crashed.detail, 'killed by SIGSEGV: segfault in parser');
    assert.deepEqual(readdirSync(tempDir), []);
    const { backend: missing, tempDir: missingTemp } = backend([join(root, 'no-such-program'), '{file}']);
    const result = await missing.analyse(Buffer.from('x'));
    assert.equal(result.verdict, 'error');
    assert.match(result.detail ?? '', /cannot run .*no-such-program: .*ENOENT/);
    assert.deepEqual(readdirSync(missingTemp), []);
    const unwritable = createCommandBackend({ name: 'test', argv: [exitWith, '0', '{file}'], timeoutMs: 10_000, maxConcurrent: 1, tempDir: join(root, 'no-such-dir') });
    const notWritten = await unwritable.analyse(Buffer.from('x'));
    assert.equal(notWritten.verdict, 'error');
    assert.match(notWritten.detail ?? '', /cannot write the temporary copy: .*ENOENT/);
  });

  it('runs at most maxConcurrent programs at once; the others wait their turn', async () => {
    const log = join(root, 'concurrency.log');
    writeFileSync(log, '');
    // Each run appends "+" when it starts and "-" when it ends; it lasts until a release file appears.
    const gated = script('gated.sh', `#!/bin/sh\necho + >> "${log}"\nwhile [ ! -e "${join(root, 'release')}" ]; do sleep 0.05; done\necho - >> "${log}"\nexit 0\n`);
    const { backend: b } = backend([gated, '{file}'], { maxConcurrent: 2 });
    const runs = Array.from({ length: 5 }, () => b.analyse(Buffer.from('x')));
    while (readFileSync(log, 'utf8').split('\n').filter((l) => l === '+').length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual({ active: b.stats.active, waiting: b.stats.waiting }, { active: 2, waiting: 3 });
    writeFileSync(join(root, 'release'), '');
    assert.deepEqual((await Promise.all(runs)).map((r) => r.verdict), ['clean', 'clean', 'clean', 'clean', 'clean']);
    let running = 0;
    let peak = 0;
    for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
      running += line === '+' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    assert.equal(peak, 2);
    assert.equal(b.stats.peak, 2);
  });

  it('refuses a command without {file} or without a program', () => {
    const base = { name: 'x', timeoutMs: 1000, maxConcurrent: 1 };
    assert.throws(() => createCommandBackend({ ...base, argv: ['scan', '/tmp/fixed'] }), CommandBackendConfigError);
    assert.throws(() => createCommandBackend({ ...base, argv: ['{file}'] }), CommandBackendConfigError, 'the program itself is not a placeholder');
    assert.throws(() => createCommandBackend({ ...base, argv: [] }), CommandBackendConfigError);
    assert.throws(() => createCommandBackend({ ...base, argv: ['scan', '{file}'], timeoutMs: 0 }), CommandBackendConfigError);
  });
});

describe('command backend running clamdscan against a real clamd', { skip: clamdSkip }, () => {
  let clamd: ClamdServer;
  before(async () => {
    clamd = await startClamd();
  });
  after(async () => {
    await clamd?.stop();
  });

  it('EICAR is malicious (exit 1) with clamdscan\'s line as detail; clean data is clean (exit 0)', async () => {
    const { backend: b, tempDir } = backend(['clamdscan', '-c', clamd.configPath, '--no-summary', '--stream', '{file}'], { name: 'clamdscan', timeoutMs: 60_000 });
    const infected = await b.analyse(Buffer.from(EICAR_STRING, 'latin1'), { name: 'eicar.com' });
    assert.equal(infected.verdict, 'malicious');
    assert.equal(infected.backend, 'clamdscan');
    assert.match(infected.detail ?? '', /eicar\.com: Test\.EICAR\.[\w.]+ FOUND$/);
    const clean = await b.analyse(Buffer.from('an ordinary attachment\n'), { name: 'notes.txt' });
    assert.equal(clean.verdict, 'clean');
    assert.match(clean.detail ?? '', /notes\.txt: OK$/);
    assert.deepEqual(readdirSync(tempDir), []);
  });
});
