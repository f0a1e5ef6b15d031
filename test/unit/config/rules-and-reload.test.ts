import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pbkdf2 } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { editConfigFile } from '../../../src/config/edit.js';
import { LiveConfig } from '../../../src/config/live-config.js';
import { parseConfigText } from '../../../src/config/load.js';
import { loadConfigAssigningRuleIds } from '../../../src/config/store.js';
import { watchConfigFile } from '../../../src/config/watch.js';
import { DEFAULT_RULES } from '../../../src/rules/index.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-config-'));
  dirs.push(dir);
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
}

/** A logger whose records the test can read. */
function memoryLog() {
  const records: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, records };
}

const handWritten = `# my rules
rules:
  transport:
    - name: Log big mail   # try it first
      level: filtering
      conditions: [{ field: size, op: '>', value: 10MB }]
      actions: [log]
`;

describe('rules in the configuration', () => {
  it('the shipped defaults apply when rules are absent; an explicit empty list means none', () => {
    assert.deepEqual(parseConfigText('{}', 'c.yaml').rules.transport, DEFAULT_RULES);
    assert.deepEqual(parseConfigText('{}', 'c.yaml').rules.mailboxScan, DEFAULT_RULES);
    assert.deepEqual(parseConfigText('rules: { transport: [] }', 'c.yaml').rules.transport, []);
  });

  it('an invalid rule is reported on one line with the file line, the rule and the problem', () => {
    const text = handWritten.replace("value: 10MB", "value: ten");
    assert.throws(() => parseConfigText(text, 'c.yaml'), /^UserError: c\.yaml:4: rules\.transport\.0: "Log big mail": conditions\[0\]\.value: expected a size/);
  });

  it('rules written without an id get one, written back with the comments kept, and keep it on the next load', () => {
    const path = tempFile(handWritten);
    const first = loadConfigAssigningRuleIds(path);
    const id = (first.rules.transport[0] as { id: string }).id;
    assert.match(id, /^r-[0-9a-f]{8}$/);
    const text = readFileSync(path, 'utf8');
    assert.match(text, /# my rules/);
    assert.match(text, /# try it first/);
    assert.match(text, new RegExp(`- id: ${id}\\n\\s+name: Log big mail`));
    const again = loadConfigAssigningRuleIds(path);
    assert.equal((again.rules.transport[0] as { id: string }).id, id);
    assert.equal(readFileSync(path, 'utf8'), text, 'nothing to write the second time');
  });

  it('editConfigFile leaves the file untouched when the result is invalid', () => {
    const path = tempFile(handWritten);
    assert.throws(() => editConfigFile(path, (doc) => doc.setIn(['rules', 'transport', 0, 'level'], 'sideways')), /rules\.transport\.0/);
    assert.equal(readFileSync(path, 'utf8'), handWritten);
  });
});

describe('configuration hot reload', () => {
  it('takes a valid change, rejects an invalid one with one logged line and keeps the configuration in force', () => {
    const path = tempFile('scan: { onError: pass }\n');
    const live = new LiveConfig(loadConfigAssigningRuleIds(path));
    const seen: string[] = [];
    live.onChange((next) => seen.push(next.scan.onError));
    const { log, records } = memoryLog();
    const watcher = watchConfigFile(path, live, log, { load: () => loadConfigAssigningRuleIds(path), intervalMs: 60_000 });
    try {
      writeFileSync(path, 'scan: { onError: block }\n');
      assert.equal(watcher.reload(), true);
      assert.equal(live.current.scan.onError, 'block');
      assert.deepEqual(seen, ['block']);
      assert.deepEqual(records.at(-1)?.changed, ['scan']);

      writeFileSync(path, 'scan: { onError: sometimes }\n');
      assert.equal(watcher.reload(), false);
      assert.equal(live.current.scan.onError, 'block', 'the previous configuration stays');
      assert.equal(records.at(-1)?.msg, 'configuration change rejected; the previous configuration stays in force');
      assert.match(String(records.at(-1)?.problem), /scan\.onError/);
      assert.deepEqual(seen, ['block'], 'listeners are not told about a rejected change');
    } finally {
      watcher.stop();
    }
  });

  it('keeps the running listeners and says that listener changes need a restart', () => {
    const path = tempFile('listeners: [{ name: a, listen: "127.0.0.1:10993", upstream: "imap.example.com:993" }]\n');
    const live = new LiveConfig(loadConfigAssigningRuleIds(path));
    const { log, records } = memoryLog();
    const watcher = watchConfigFile(path, live, log, { load: () => loadConfigAssigningRuleIds(path), intervalMs: 60_000 });
    try {
      writeFileSync(path, 'listeners: [{ name: b, listen: "127.0.0.1:10994", upstream: "imap.example.com:993" }]\n');
      watcher.reload();
      assert.equal(live.current.listeners[0].name, 'a');
      assert.ok(records.some((record) => record.msg === 'listener changes take effect when inboxguard is restarted'));
    } finally {
      watcher.stop();
    }
  });

  it('notices a change made right after the watch starts, while the thread pool is busy', { timeout: 30_000 }, async () => {
    const path = tempFile('scan: { onError: pass }\n');
    const live = new LiveConfig(loadConfigAssigningRuleIds(path));
    const { log } = memoryLog();
    // Work queued on every thread of libuv's pool, so a watcher whose first look at the file is asynchronous
    // would look only after the edit below, take the edited file as its baseline and never notice the change.
    const poolThreads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const busy = Array.from({ length: poolThreads }, () => new Promise((resolve) => pbkdf2('x', 'y', 200_000, 64, 'sha512', resolve)));
    const watcher = watchConfigFile(path, live, log, { load: () => loadConfigAssigningRuleIds(path), intervalMs: 20 });
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      const changed = new Promise<void>((resolve) => live.onChange(() => resolve()));
      editConfigFile(path, (doc) => doc.setIn(['scan', 'onError'], 'block'));
      await Promise.all(busy);
      await changed;
      assert.equal(live.current.scan.onError, 'block');
    } finally {
      clearInterval(keepAlive);
      watcher.stop();
    }
  });

  it('notices a file replaced by rename on its own', { timeout: 30_000 }, async () => {
    const path = tempFile('scan: { onError: pass }\n');
    const live = new LiveConfig(loadConfigAssigningRuleIds(path));
    const { log } = memoryLog();
    const watcher = watchConfigFile(path, live, log, { load: () => loadConfigAssigningRuleIds(path), intervalMs: 50 });
    // The watcher does not keep a process alive by itself (the proxy's sockets do).
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      const changed = new Promise<void>((resolve) => live.onChange(() => resolve()));
      editConfigFile(path, (doc) => doc.setIn(['scan', 'onError'], 'block'));
      await changed;
      assert.equal(live.current.scan.onError, 'block');
    } finally {
      clearInterval(keepAlive);
      watcher.stop();
    }
  });
});
