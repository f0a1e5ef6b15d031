// inboxguard mailbox scan against a real Dovecot: a scan killed mid-folder resumes without scanning a
// message twice, Ctrl-C stops cleanly and says how to resume, a UIDVALIDITY change rescans, and the
// progress is drawn as bars on a pseudo-terminal and as plain lines otherwise.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { MailboxScanProgress } from '../../src/store/mailbox-scan-progress.js';
import { cliCommandLine, type CliResult } from '../helpers/cli.js';
import { dataDir, infectedMessage, mailboxScan, parseSummary, PASSWORD, removeDataDirs, scanArgs, scanEvents, startMailboxScan } from '../helpers/mailbox-scan-fixtures.js';
import { mixedMailbox } from '../helpers/messages.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { waitUntil } from '../helpers/wait-until.js';

const skip = requireAll(requireDovecot(), requireCommand('python3', 'python3'));
const USERS = ['resume', 'interrupt', 'uidvalidity', 'progress', 'prompt'];
const PTY_RUNNER = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'python', 'run_in_pty.py');

function recorded(home: string, account: string): number {
  const state = MailboxScanProgress.open(home);
  try {
    return state.count(account);
  } finally {
    state.close();
  }
}

function exited(child: ReturnType<typeof startMailboxScan>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Runs the CLI on a pseudo-terminal; `answer` types text once a prompt appears. */
function onPseudoTerminal(args: string[], env: NodeJS.ProcessEnv, answer?: { after: string; text: string }): Promise<{ code: number | null; output: string }> {
  const [command, ...rest] = cliCommandLine(args);
  const answerEnv = answer ? { PTY_ANSWER_AFTER: answer.after, PTY_ANSWER: answer.text } : {};
  return new Promise((resolve, reject) => {
    execFile('python3', [PTY_RUNNER, command, ...rest], { env: { ...process.env, INBOXGUARD_HOME: dataDir(), ...env, ...answerEnv }, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, stdout) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? (error.code as number) : 0, output: stdout });
    });
  });
}

describe('inboxguard mailbox scan: resume, interruption, UIDVALIDITY, progress', { skip }, () => {
  let server: DovecotServer;
  const account = (user: string) => `${user}@${server.host}:${server.ports.imaps}`;
  const originalPassword = process.env.INBOXGUARD_PASSWORD;

  before(async () => {
    process.env.INBOXGUARD_PASSWORD = PASSWORD;
    server = await startDovecot({ users: USERS.map((name) => ({ name, password: PASSWORD })) });
  });

  after(async () => {
    await server?.stop();
    removeDataDirs();
    if (originalPassword === undefined) delete process.env.INBOXGUARD_PASSWORD;
    else process.env.INBOXGUARD_PASSWORD = originalPassword;
  });

  it('a scan killed mid-folder resumes where it stopped and scans no message twice', async () => {
    server.seed('resume', [...mixedMailbox(299, 11), infectedMessage(9501)]);
    const home = dataDir();
    const child = startMailboxScan(server, 'resume', home);
    const done = exited(child);
    await waitUntil(() => recorded(home, account('resume')) >= 60, '60 messages were recorded', 60_000);
    child.kill('SIGKILL');
    await done;
    const before = recorded(home, account('resume'));
    assert.ok(before >= 60 && before < 300, `killed mid-folder (${before} of 300 recorded)`);
    const result = await mailboxScan(server, 'resume', home, ['--json']);
    assert.equal(result.code, 1, result.stderr);
    const summary = parseSummary(result);
    assert.equal(summary.total.skipped, before);
    assert.equal(summary.total.scanned, 300 - before);
    const uids = scanEvents(home).map((event) => event.uid);
    assert.equal(uids.length, 300, 'one scan event per message over both runs');
    assert.equal(new Set(uids).size, 300);
    assert.equal(recorded(home, account('resume')), 300);
  });

  it('Ctrl-C stops after the messages in hand, prints the summary and how to resume', async () => {
    server.seed('interrupt', mixedMailbox(300, 12));
    const home = dataDir();
    const child = startMailboxScan(server, 'interrupt', home, ['--json']);
    const done = exited(child);
    await waitUntil(() => recorded(home, account('interrupt')) >= 30, '30 messages were recorded', 60_000);
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    const summary = parseSummary(result);
    assert.equal(summary.interrupted, true);
    assert.match(result.stderr, /interrupted; what was scanned is recorded\. To continue where it stopped, run: inboxguard mailbox scan --upstream \S+ --upstream-ca \S+ --user interrupt --concurrency 1 --json --resume\n/);
    const scanned = recorded(home, account('interrupt'));
    assert.equal(summary.total.scanned, scanned, 'every message scanned was recorded before the exit');
    assert.ok(scanned < 300);
    const rest = parseSummary(await mailboxScan(server, 'interrupt', home, ['--json', '--resume']));
    assert.equal(rest.total.skipped, scanned);
    assert.equal(rest.total.scanned + scanned, 300);
  });

  it('a changed UIDVALIDITY makes the folder new: everything is scanned again', async () => {
    server.seed('uidvalidity', mixedMailbox(20, 13));
    const home = dataDir();
    assert.equal(parseSummary(await mailboxScan(server, 'uidvalidity', home, ['--json'])).total.scanned, 20);
    assert.equal(parseSummary(await mailboxScan(server, 'uidvalidity', home, ['--json'])).total.skipped, 20);
    await server.doveadm(['mailbox', 'update', '-u', 'uidvalidity', '--uid-validity', '4242', 'INBOX']);
    const rescanned = parseSummary(await mailboxScan(server, 'uidvalidity', home, ['--json']));
    assert.equal(rescanned.total.scanned, 20);
    assert.equal(rescanned.total.skipped, 0);
    const events = scanEvents(home);
    assert.deepEqual([...new Set(events.map((event) => event.uidValidity))].length, 2);
    assert.ok(events.some((event) => event.uidValidity === '4242'));
    assert.equal(recorded(home, account('uidvalidity')), 20, 'the rows of the old UIDVALIDITY are gone');
  });

  it('draws progress bars on a pseudo-terminal and plain lines without one', async () => {
    const messages = mixedMailbox(150, 14);
    server.seed('progress', messages);
    const megabytes = (messages.reduce((sum, message) => sum + message.length, 0) / 1024 / 1024).toFixed(1);
    const onTerminal = await onPseudoTerminal(scanArgs(server, 'progress', []), {});
    assert.equal(onTerminal.code, 0, onTerminal.output);
    assert.match(onTerminal.output, /all folders\s+\|[█░]+\| 150\/150 msgs \| [\d.]+ MB \| \d+ msg\/s \| ETA \S+ \| threats 0/);
    assert.match(onTerminal.output, /INBOX\s+\|[█░]+\| \d+\/150 msgs/);
    assert.match(onTerminal.output, /\u001b\[/, 'the bars are redrawn in place');
    assert.match(onTerminal.output, /Folder\s+Messages\s+Matched\s+Scanned/);

    const plain = await mailboxScan(server, 'progress', dataDir());
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stderr, /[█░]|\u001b\[/);
    assert.deepEqual(plain.stderr.trimEnd().split('\n'), [
      'scanning 1 folder (150 messages): INBOX',
      `INBOX: 150 to scan (${megabytes} MB), 0 left out (filters, already scanned)`,
      ...plain.stderr.split('\n').filter((line) => / 100\/150 messages, /.test(line)),
      'INBOX: done: 150 scanned, 0 skipped, 0 threats, 0 errors',
    ]);
    assert.equal(plain.stderr.split('\n').filter((line) => / 100\/150 messages, /.test(line)).length, 1);
    assert.match(plain.stdout, /^INBOX\s+150\s+150\s+150\s+0\s+0\s+0\s+0\s+clean 150/m);
  });

  it('asks for the password on a terminal without echoing it', async () => {
    server.seed('prompt', mixedMailbox(5, 15));
    const result = await onPseudoTerminal(scanArgs(server, 'prompt', ['--json']), { INBOXGUARD_PASSWORD: '' }, { after: 'password for prompt: ', text: PASSWORD });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /password for prompt: /);
    assert.ok(!result.output.includes(PASSWORD), `the password is not echoed: ${JSON.stringify(result.output.slice(Math.max(0, result.output.indexOf(PASSWORD) - 200), result.output.indexOf(PASSWORD) + 50))}`);
    assert.match(result.output, /"scanned":5,"skipped":0/);
  });
});
