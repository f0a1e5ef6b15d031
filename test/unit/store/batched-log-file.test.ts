// The log file gathers a session's lines into one write, and loses none: a warning goes out at once,
// the rest within the delay, on flush, and when the process exits — cleanly or by a thrown error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import { BatchedLogFile } from '../../../src/store/batched-log-file.js';
import { createLogger, logFilePath } from '../../../src/store/log.js';

const messages = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { msg: string }).msg);

describe('batched log file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ig-batched-log-'));
    path = join(dir, 'x.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('ten info lines are one write, in order, once the delay has passed', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const file = new BatchedLogFile(path, { delayMs: 100 });
    const log = pino({ level: 'debug' }, file);
    for (let i = 0; i < 10; i++) log.info(`line ${i}`);
    assert.equal(file.fileWrites, 0);
    assert.deepEqual(messages(path), []);
    t.mock.timers.tick(99);
    assert.equal(file.fileWrites, 0);
    t.mock.timers.tick(1);
    assert.equal(file.fileWrites, 1);
    assert.deepEqual(messages(path), Array.from({ length: 10 }, (_, i) => `line ${i}`));
    file.end();
  });

  test('a warning is written at once, with the lines waiting before it', () => {
    const file = new BatchedLogFile(path);
    const log = pino({ level: 'debug' }, file);
    log.debug('a');
    log.info('b');
    log.warn('c');
    assert.equal(file.fileWrites, 1);
    assert.deepEqual(messages(path), ['a', 'b', 'c']);
    file.end();
  });

  test('maxBytes waiting are written without waiting for the timer', () => {
    const file = new BatchedLogFile(path, { maxBytes: 1000 });
    const log = pino({ level: 'debug' }, file);
    for (let i = 0; i < 20; i++) log.info('x'.repeat(90));
    assert.ok(file.fileWrites >= 1 && file.fileWrites <= 2, `writes: ${file.fileWrites}`);
    file.end();
    assert.equal(messages(path).length, 20);
  });

  test("the project's logger: flush(cb) puts every line in the file, and so does a warning, with and without the console", async () => {
    for (const console of [false, true]) {
      const dataDir = join(dir, String(console));
      const log = createLogger({ dataDir, console, level: 'debug' });
      log.debug('one');
      log.debug('two');
      await new Promise<void>((resolve) => log.flush(() => resolve()));
      assert.deepEqual(messages(logFilePath(dataDir)), ['one', 'two']);
      log.debug('three');
      log.warn('four');
      assert.deepEqual(messages(logFilePath(dataDir)), ['one', 'two', 'three', 'four'], 'a warning goes out at once');
    }
  });

  for (const [ending, code] of [
    ['process.exit(0)', 0],
    ["(() => { throw new Error('boom'); })()", 1],
    ["setImmediate(() => { throw new Error('boom'); })", 1],
  ] as const) {
    test(`no line is lost when the process ends by ${ending}`, () => {
      const script = `
        import { createLogger } from ${JSON.stringify(new URL('../../../src/store/log.ts', import.meta.url).pathname)};
        const log = createLogger({ dataDir: ${JSON.stringify(dir)}, console: true });
        for (let i = 0; i < 5; i++) log.info('line ' + i);
        log.debug('last');
        ${ending};
      `;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
      assert.equal(child.status, code, child.stderr);
      assert.deepEqual(messages(logFilePath(dir)), ['line 0', 'line 1', 'line 2', 'line 3', 'line 4', 'last']);
      // The console still shows the info lines as they come.
      assert.equal(child.stderr.split('\n').filter((line) => / INFO {2}line \d/.test(line)).length, 5);
    });
  }
});
