import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EventLog, readEvents, type ScanEvent } from '../../../src/store/events.js';

const dir = mkdtempSync(join(tmpdir(), 'inboxguard-late-filter-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('events --verdict late', () => {
  it("matches an event whose verdict is 'late-verdict' or 'late', or whose type is 'late-verdict', and nothing else", () => {
    const path = join(dir, 'events.jsonl');
    const log = new EventLog(path);
    const base = { detections: [], actions: [], bytes: 0, scanMs: 0 };
    log.append({ ...base, verdict: 'clean', subject: 'clean one' });
    log.append({ ...base, verdict: 'late-verdict', subject: 'by verdict field' });
    log.append({ ...base, verdict: 'late', subject: 'short form' });
    log.append({ ...base, verdict: 'malicious', subject: 'by type field', type: 'late-verdict' } as Omit<ScanEvent, 'time'>);
    log.append({ ...base, verdict: 'malicious', subject: 'stage 2 in time' });
    const subjects = (verdict: string) => readEvents(path, { verdict }).map((event) => event.subject);
    assert.deepEqual(subjects('late'), ['by verdict field', 'short form', 'by type field']);
    assert.deepEqual(subjects('late-verdict'), ['by verdict field', 'short form', 'by type field']);
    // Other filters still compare the verdict field itself.
    assert.deepEqual(subjects('malicious'), ['by type field', 'stage 2 in time']);
    assert.deepEqual(subjects('clean'), ['clean one']);
  });
});
