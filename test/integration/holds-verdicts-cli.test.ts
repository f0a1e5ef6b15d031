// `inboxguard holds` and `inboxguard verdicts` as a user runs them: against a running proxy (in this
// process with a test hold registry, or `inboxguard start`), and on state.db when no proxy runs.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requestControl } from '../../src/control/client.js';
import { startControlServer } from '../../src/control/server.js';
import { EventLog, eventsPath, type ScanEvent } from '../../src/store/events.js';
import { VerdictStore, type VerdictRecord } from '../../src/store/verdicts.js';
import { assertRefused, runCli, startCli } from '../helpers/cli.js';
import { startTestProxy } from '../helpers/proxy.js';
import { sampleHolds, TestHoldRegistry } from '../helpers/test-hold-registry.js';
import { giveTestCa } from '../helpers/inboxguard-ca.js';

const root = mkdtempSync(join(tmpdir(), 'inboxguard-holds-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const dataDir = () => mkdtempSync(join(root, `d${counter++}-`));

const bad: VerdictRecord = { sha256: 'a'.repeat(64), verdict: 'malicious', backend: 'analysis:sandbox', name: 'Trojan.Macro', decidedAt: Date.UTC(2026, 11, 7, 1, 0, 0), source: 'engine' };
const good: VerdictRecord = { sha256: 'b'.repeat(64), verdict: 'clean', backend: 'cli', decidedAt: Date.UTC(2026, 11, 6, 0, 0, 0), source: 'manual' };

function fillStore(dir: string, records: VerdictRecord[]): void {
  const store = VerdictStore.open(dir);
  try {
    store.putMany(records);
  } finally {
    store.close();
  }
}

function storedShas(dir: string): string[] {
  const store = VerdictStore.open(dir);
  try {
    return store.list({ limit: 10 }).map((record) => record.sha256);
  } finally {
    store.close();
  }
}

/** `inboxguard start` with one listener on a free port; resolves once its banner is out. */
async function startProxyCli(dir: string): Promise<{ child: ChildProcess; stop(signal: NodeJS.Signals): Promise<number | null> }> {
  await giveTestCa(dir);
  const child = startCli(['start', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:993'], dir);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start banner: ${stdout} ${stderr}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.includes('Stop with Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`start exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    stop: (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

describe('inboxguard holds', () => {
  it('list, release and block act on the running proxy\'s holds; unknown ids and a missing proxy are one-line errors', async () => {
    const proxy = await startTestProxy([{ name: 'work', upstream: '127.0.0.1:993' }]);
    const registry = new TestHoldRegistry(sampleHolds());
    const control = await startControlServer(proxy.dataDir, { holds: registry, forgetVerdict: () => false, status: () => ({}) });
    try {
      const table = await runCli(['holds', 'list'], proxy.dataDir);
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 3);
      assert.match(lines[0], /^ID +SESSION +ACCOUNT +MESSAGE +SUBJECT +PART +BACKEND +WAITING SINCE +TIME LEFT$/);
      assert.match(lines[1], /^h1 +7 +alice \(imap\.example\.com:993\) +INBOX UID 42 +Quarterly report +report\.docm +sandbox +2026-12-07T01:00:00Z +95s$/);
      assert.match(lines[2], /^h2 +12 +bob@example\.net \(pop\.example\.net:995\) +POP3 #3 +invoice\?\[31m +invoice\.pdf, scan\.zip +icap, yara +2026-12-07T01:01:00Z +12s$/);
      assert.deepEqual(JSON.parse((await runCli(['holds', 'list', '--json'], proxy.dataDir)).stdout), sampleHolds());

      const released = await runCli(['holds', 'release', 'h1'], proxy.dataDir);
      assert.equal(released.code, 0, released.stderr);
      assert.match(released.stdout, /^Released h1: delivered as stage 1 left it; its analysis goes on\.$/m);
      assertRefused(await runCli(['holds', 'release', 'h1'], proxy.dataDir), /^inboxguard: no hold with id h1$/);
      const blocked = await runCli(['holds', 'block', 'h2'], proxy.dataDir);
      assert.match(blocked.stdout, /^Blocked h2: its parts count as a blocking verdict, stored as a manual one\.$/m);
      assert.deepEqual([registry.released, registry.blocked], [['h1'], ['h2']]);
      assert.equal((await runCli(['holds', 'list'], proxy.dataDir)).stdout, 'No message is on hold.\n');
      assert.deepEqual(JSON.parse((await runCli(['holds', 'list', '--json'], proxy.dataDir)).stdout), []);
    } finally {
      await control.close();
      await proxy.close();
    }
    const gone = dataDir();
    assertRefused(await runCli(['holds', 'list'], gone), new RegExp(`^inboxguard: inboxguard is not running \\(no control socket at ${join(gone, 'control.sock').replace(/[.]/g, '\\.')}\\)$`));
  });
});

describe('inboxguard verdicts', () => {
  it('list, show and forget work on state.db when no proxy runs, and say so', async () => {
    const dir = dataDir();
    const empty = await runCli(['verdicts', 'list'], dir);
    assert.equal(empty.stdout, 'No verdicts are stored.\n');
    assert.equal(existsSync(join(dir, 'state.db')), false, 'listing creates no state.db');
    fillStore(dir, [bad, good]);

    const table = (await runCli(['verdicts', 'list'], dir)).stdout.trimEnd().split('\n');
    assert.match(table[0], /^SHA256 +VERDICT +SOURCE +BACKEND +DECIDED +NAME$/);
    assert.match(table[1], new RegExp(`^${bad.sha256}  malicious +engine +analysis:sandbox +2026-12-07T01:00:00Z +Trojan\\.Macro$`));
    assert.match(table[2], new RegExp(`^${good.sha256}  clean +manual +cli +2026-12-06T00:00:00Z +-$`));
    assert.deepEqual(JSON.parse((await runCli(['verdicts', 'list', '--json'], dir)).stdout), [bad, good]);
    const limited = await runCli(['verdicts', 'list', '--limit', '1'], dir);
    assert.match(limited.stdout, /^1 of 2 verdicts shown; --limit 2 shows all\.$/m);
    assert.deepEqual(JSON.parse((await runCli(['verdicts', 'list', '--json', '--limit', '1'], dir)).stdout), [bad]);
    assertRefused(await runCli(['verdicts', 'list', '--limit', 'many'], dir), /--limit: expected a whole number, got 'many'/);

    assert.deepEqual(JSON.parse((await runCli(['verdicts', 'show', bad.sha256.toUpperCase(), '--json'], dir)).stdout), bad);
    assert.match((await runCli(['verdicts', 'show', bad.sha256], dir)).stdout, /^verdict: malicious$[\s\S]*^name: +Trojan\.Macro$[\s\S]*^decided: 2026-12-07T01:00:00Z$/m);
    assertRefused(await runCli(['verdicts', 'show', 'c'.repeat(64)], dir), new RegExp(`no verdict is stored for ${'c'.repeat(64)}$`));
    assertRefused(await runCli(['verdicts', 'show', 'nope'], dir), /not a SHA-256: 'nope' \(64 hex digits expected\)/);

    const forgotten = await runCli(['verdicts', 'forget', bad.sha256], dir);
    assert.equal(forgotten.stdout, `Forgot the verdict for ${bad.sha256} in state.db (inboxguard is not running).\n`);
    assert.deepEqual(storedShas(dir), [good.sha256]);
    assert.deepEqual(JSON.parse((await runCli(['verdicts', 'forget', good.sha256, '--json'], dir)).stdout), { sha256: good.sha256, forgotten: true, via: 'state.db' });
    assertRefused(await runCli(['verdicts', 'forget', bad.sha256], dir), /no verdict is stored for a{64} \(inboxguard is not running; looked in state\.db\)$/);
  });

  it('forget goes through a running `inboxguard start`; one proxy per data dir; a killed proxy\'s socket is replaced; stop removes it', async () => {
    const dir = dataDir();
    fillStore(dir, [bad, good]);
    const first = await startProxyCli(dir);
    const socket = join(dir, 'control.sock');
    try {
      assert.equal(lstatSync(socket).mode & 0o777, 0o600);
      const status = await requestControl(dir, 'GET', '/status');
      assert.equal(status.body.pid, first.child.pid);
      assert.deepEqual((status.body.listeners as { name: string; upstream: string }[]).map(({ name, upstream }) => ({ name, upstream })), [{ name: 'listener-993', upstream: '127.0.0.1:993' }]);
      assert.deepEqual(JSON.parse((await runCli(['verdicts', 'forget', bad.sha256, '--json'], dir)).stdout), { sha256: bad.sha256, forgotten: true, via: 'proxy' });
      assert.deepEqual(storedShas(dir), [good.sha256]);
      assertRefused(await runCli(['verdicts', 'forget', bad.sha256], dir), /no verdict is stored for a{64} \(asked the running proxy\)$/);
      assertRefused(await runCli(['holds', 'list'], dir), /^inboxguard: analysis is not configured/);
      assertRefused(await runCli(['start', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:993'], dir), /^inboxguard: inboxguard is already running with data dir .*; stop it first$/);
    } finally {
      await first.stop('SIGKILL');
    }
    assert.ok(lstatSync(socket).isSocket(), 'a killed proxy leaves its socket');
    assertRefused(await runCli(['holds', 'list'], dir), /^inboxguard: inboxguard is not running \(nothing answers on the control socket at .*control\.sock\)$/);
    assert.match((await runCli(['verdicts', 'forget', good.sha256], dir)).stdout, /in state\.db \(inboxguard is not running\)/);

    const second = await startProxyCli(dir);
    let code: number | null;
    try {
      assert.equal(lstatSync(socket).mode & 0o777, 0o600);
      assertRefused(await runCli(['holds', 'list'], dir), /analysis is not configured/);
    } finally {
      code = await second.stop('SIGTERM');
    }
    assert.equal(code, 0);
    assert.equal(existsSync(socket), false, 'a stopped proxy removes its socket');
  });
});

describe('inboxguard events --verdict late', () => {
  it('lists late-verdict events, also those without the fields of a scan event, and nothing else', async () => {
    const dir = dataDir();
    const log = new EventLog(eventsPath(dir));
    log.append({ verdict: 'malicious', detections: [], actions: ['strip'], bytes: 10, scanMs: 1, subject: 'blocked in time' });
    log.append({ type: 'late-verdict', verdict: 'malicious', subject: 'released POP3 mail', user: 'bob', uidl: '000000030000abcd' } as unknown as Omit<ScanEvent, 'time'>);
    log.append({ verdict: 'late-verdict', detections: [], actions: ['move'], bytes: 0, scanMs: 0, subject: 'moved IMAP mail', mailbox: 'INBOX', uid: 9 });
    const listed = await runCli(['events', '--verdict', 'late'], dir);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /malicious +none +bob +released POP3 mail$/);
    assert.match(lines[1], /late-verdict +move +INBOX#9 +moved IMAP mail$/);
  });
});
