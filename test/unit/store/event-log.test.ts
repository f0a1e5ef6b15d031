import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EVENT_FILE_RECHECK_MS, EventLog, readEvents } from '../../../src/store/events.js';

const dir = mkdtempSync(join(tmpdir(), 'inboxguard-event-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base = { detections: [], actions: [], bytes: 0, scanMs: 0, verdict: 'clean' };

/** File descriptors this process has open on the file at `path`. */
function openOn(path: string): number {
  const { ino, dev } = statSync(path);
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      const target = statSync(`/proc/self/fd/${fd}`);
      return target.ino === ino && target.dev === dev;
    } catch {
      return false;
    }
  }).length;
}

describe('EventLog', () => {
  it('keeps one descriptor open across appends, 0600, and releases it on close()', () => {
    const path = join(dir, 'kept', 'events.jsonl');
    const log = new EventLog(path);
    for (let index = 0; index < 5; index++) log.append({ ...base, subject: `event ${index}` });
    assert.equal(openOn(path), 1);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readEvents(path).map((event) => event.subject), ['event 0', 'event 1', 'event 2', 'event 3', 'event 4']);
    log.close();
    assert.equal(openOn(path), 0);
    log.append({ ...base, subject: 'after close' });
    assert.equal(readEvents(path).at(-1)?.subject, 'after close', 'a closed log opens the file again when it has to');
    log.close();
  });

  it('a removed or rotated file is followed by a new one at the path within the recheck interval', () => {
    const path = join(dir, 'rotated', 'events.jsonl');
    let now = 1_000_000;
    const log = new EventLog(path, () => now);
    log.append({ ...base, subject: 'first' });
    renameSync(path, `${path}.1`);
    now += EVENT_FILE_RECHECK_MS - 1;
    log.append({ ...base, subject: 'still the open file' });
    now += 1;
    log.append({ ...base, subject: 'new file' });
    assert.deepEqual(readEvents(`${path}.1`).map((event) => event.subject), ['first', 'still the open file']);
    assert.deepEqual(readEvents(path).map((event) => event.subject), ['new file']);
    rmSync(path);
    now += EVENT_FILE_RECHECK_MS;
    log.append({ ...base, subject: 'after removal' });
    assert.deepEqual(readEvents(path).map((event) => event.subject), ['after removal']);
    log.close();
  });
});
