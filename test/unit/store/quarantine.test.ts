import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseDuration } from '../../../src/duration.js';
import { EventLog, readEvents } from '../../../src/store/events.js';
import { Quarantine, QuarantineError } from '../../../src/store/quarantine.js';

const root = mkdtempSync(join(tmpdir(), 'inboxguard-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

const input = { verdict: 'infected', detections: [{ engine: 'builtin' as const, name: 'Eicar-Test-Signature', kind: 'signature' as const, location: ['eicar.com'] }], action: 'strip', subject: 'hello' };

describe('quarantine', () => {
  it('stores the original with metadata, 0600 files in a 0700 dir, no temp files left', async () => {
    const quarantine = new Quarantine(join(root, 'q1'));
    const original = Buffer.from('Subject: hello\r\n\r\nbody\r\n');
    const record = await quarantine.store(original, input, new Date('2026-01-02T03:04:05.678Z'));
    assert.equal(record.id, `q-${record.sha256.slice(0, 20)}`, 'named after its content');
    assert.equal(record.time, '2026-01-02T03:04:05.678Z');
    assert.equal(record.sha256, createHash('sha256').update(original).digest('hex'));
    assert.deepEqual(quarantine.original(record.id), original);
    assert.deepEqual(quarantine.get(record.id), record);
    assert.equal(statSync(join(root, 'q1')).mode & 0o777, 0o700);
    for (const name of readdirSync(join(root, 'q1'))) assert.equal(statSync(join(root, 'q1', name)).mode & 0o777, 0o600, name);
    assert.deepEqual(readdirSync(join(root, 'q1')).sort(), [`${record.id}.eml`, `${record.id}.json`]);
  });

  it('keeps one copy per original: storing the same bytes again returns the existing entry', async () => {
    const quarantine = new Quarantine(join(root, 'q3'));
    const first = await quarantine.store(Buffer.from('same'), input);
    const again = await new Quarantine(join(root, 'q3')).store(Buffer.from('same'), { ...input, uid: 9 });
    assert.equal(again.id, first.id);
    assert.equal(quarantine.list().length, 1);
    quarantine.delete(first.id);
    assert.deepEqual(quarantine.list(), []);
    await quarantine.store(Buffer.from('same'), input);
    assert.equal(quarantine.list().length, 1, 'a deleted entry is written anew');
  });

  it('lists, exports, deletes and purges by age; unknown or malicious ids are clear errors', async () => {
    const quarantine = new Quarantine(join(root, 'q2'));
    const old = await quarantine.store(Buffer.from('old'), input, new Date(Date.now() - 40 * 86_400_000));
    const fresh = await quarantine.store(Buffer.from('new'), input);
    assert.deepEqual(quarantine.list().map((record) => record.id), [old.id, fresh.id]);
    quarantine.exportTo(fresh.id, join(root, 'out.eml'));
    assert.equal(readFileSync(join(root, 'out.eml'), 'utf8'), 'new');
    assert.equal(quarantine.purge(parseDuration('30d')), 1);
    assert.deepEqual(quarantine.list().map((record) => record.id), [fresh.id]);
    quarantine.delete(fresh.id);
    assert.deepEqual(quarantine.list(), []);
    assert.throws(() => quarantine.get('../../etc/passwd'), QuarantineError);
    assert.throws(() => quarantine.delete(fresh.id), /no quarantined message/);
  });
});

describe('event log', () => {
  it('appends JSON lines, truncates long subjects, filters by age and verdict', () => {
    const path = join(root, 'logs', 'events.jsonl');
    const log = new EventLog(path);
    log.append({ verdict: 'clean', detections: [], actions: [], bytes: 10, scanMs: 1, subject: 's'.repeat(500) }, new Date(Date.now() - 7_200_000));
    log.append({ verdict: 'infected', detections: input.detections, actions: ['strip'], bytes: 20, scanMs: 2 });
    const all = readEvents(path);
    assert.equal(all.length, 2);
    assert.equal(all[0].subject?.length, 120);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readEvents(path, { sinceMs: parseDuration('1h') }).map((event) => event.verdict), ['infected']);
    assert.deepEqual(readEvents(path, { verdict: 'clean' }).map((event) => event.bytes), [10]);
  });

  it('parses durations and rejects nonsense', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('2w'), 14 * 86_400_000);
    assert.throws(() => parseDuration('soon'), /not a duration/);
  });
});
