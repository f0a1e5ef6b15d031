import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { RuleHitStore } from '../../../src/store/rule-hits.js';
import { stateDbPath } from '../../../src/store/state-db.js';
import { isFreshClean, VerdictStore, VerdictStoreError } from '../../../src/store/verdicts.js';
import { freshDirs, sha, T0, verdictRecord } from '../../helpers/verdict-records.js';

const freshDir = freshDirs('inboxguard-verdicts-');
const record = verdictRecord;

describe('verdict store', () => {
  it('stores, reads back and forgets a record; state.db is 0600 in a 0700 dir', () => {
    const dir = freshDir();
    const store = VerdictStore.open(dir);
    assert.equal(store.get(sha('part')), undefined);
    assert.equal(store.put(record()), true);
    assert.deepEqual(store.get(sha('part')), record());
    const unnamed = record({ sha256: sha('other'), verdict: 'clean', name: undefined });
    delete unnamed.name;
    store.put(unnamed);
    assert.deepEqual(store.get(sha('other')), unnamed, 'no name stays absent');
    assert.equal(store.forget(sha('part')), true);
    assert.equal(store.forget(sha('part')), false, 'nothing left to forget');
    assert.equal(store.get(sha('part')), undefined);
    assert.equal(store.count(), 1);
    store.close();
    assert.equal(statSync(stateDbPath(dir)).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('survives reopening, next to the rule hits in the same state.db', () => {
    const dir = freshDir();
    const first = VerdictStore.open(dir);
    const hits = RuleHitStore.open(dir);
    first.put(record());
    hits.record('transport', [{ ruleId: 'r1', count: 1 }]);
    first.close();
    hits.close();
    const reopened = VerdictStore.open(dir);
    assert.deepEqual(reopened.get(sha('part')), record());
    reopened.close();
    const hitsAgain = RuleHitStore.open(dir);
    assert.equal(hitsAgain.all('transport').get('r1')?.hits, 1);
    hitsAgain.close();
  });

  it('between engine verdicts the newest wins, whatever the order they arrive in', () => {
    const store = VerdictStore.open(freshDir());
    assert.equal(store.put(record({ verdict: 'suspicious', decidedAt: T0 + 1000 })), true);
    assert.equal(store.put(record({ verdict: 'clean', decidedAt: T0 })), false, 'an older verdict arriving late is kept out');
    assert.equal(store.get(sha('part'))?.verdict, 'suspicious');
    assert.equal(store.put(record({ verdict: 'malicious', name: 'Later', decidedAt: T0 + 2000 })), true);
    assert.deepEqual(store.get(sha('part')), record({ verdict: 'malicious', name: 'Later', decidedAt: T0 + 2000 }));
    store.close();
  });

  it('a manual decision beats any engine verdict, older or newer; a newer manual one replaces it', () => {
    const store = VerdictStore.open(freshDir());
    store.put(record({ decidedAt: T0 + 5000 }));
    const manual = record({ verdict: 'clean', backend: 'cli', name: undefined, decidedAt: T0, source: 'manual' });
    delete manual.name;
    assert.equal(store.put(manual), true, 'manual over a newer engine verdict');
    assert.equal(store.put(record({ decidedAt: T0 + 10_000 })), false, 'an engine cannot overturn it');
    assert.deepEqual(store.get(sha('part')), manual);
    assert.equal(store.put({ ...manual, verdict: 'malicious', decidedAt: T0 - 1 }), false, 'an older manual decision does not replace a newer one');
    assert.equal(store.put({ ...manual, verdict: 'malicious', decidedAt: T0 + 1 }), true);
    assert.equal(store.get(sha('part'))?.verdict, 'malicious');
    store.forget(sha('part'));
    assert.equal(store.put(record({ decidedAt: T0 })), true, 'after forget an engine may decide again');
    store.close();
  });

  it('lists newest first, by pages', () => {
    const store = VerdictStore.open(freshDir());
    for (let i = 0; i < 5; i++) store.put(record({ sha256: sha(`p${i}`), decidedAt: T0 + i }));
    assert.deepEqual(store.list({ limit: 2 }).map((r) => r.decidedAt), [T0 + 4, T0 + 3]);
    assert.deepEqual(store.list({ limit: 2, offset: 2 }).map((r) => r.decidedAt), [T0 + 2, T0 + 1]);
    assert.deepEqual(store.list({ limit: 10, offset: 4 }).map((r) => r.sha256), [sha('p0')]);
    assert.deepEqual(store.list({ limit: 10, offset: 5 }), []);
    assert.throws(() => store.list({ limit: -1 }), VerdictStoreError);
    store.close();
  });

  it('refuses keys that are not lowercase SHA-256 hex, unstorable verdicts and sources', () => {
    const store = VerdictStore.open(freshDir());
    for (const bad of ['', 'abc', sha('x').toUpperCase(), `${sha('x')}0`, `'; DROP TABLE verdicts; --`]) {
      assert.throws(() => store.get(bad), VerdictStoreError, bad);
      assert.throws(() => store.put(record({ sha256: bad })), VerdictStoreError, bad);
      assert.throws(() => store.forget(bad), VerdictStoreError, bad);
    }
    assert.throws(() => store.put(record({ verdict: 'error' as never })), VerdictStoreError);
    assert.throws(() => store.put(record({ source: 'redis' as never })), VerdictStoreError);
    assert.throws(() => store.put(record({ decidedAt: 1.5 })), VerdictStoreError);
    assert.equal(store.count(), 0);
    store.close();
  });

  it('a lookup is one primary-key search at 1 and at 20,000 entries', () => {
    const dir = freshDir();
    const store = VerdictStore.open(dir);
    store.put(record({ sha256: sha('s0') }));
    const planAtOne = store.lookupPlan();
    assert.deepEqual(planAtOne, ['SEARCH verdicts USING PRIMARY KEY (sha256=?)']);
    const many = function* () {
      for (let i = 1; i < 20_000; i++) yield record({ sha256: sha(`s${i}`), decidedAt: T0 + i });
    };
    assert.equal(store.putMany(many()), 19_999);
    store.close();
    // With statistics gathered the planner still picks the key (ANALYZE can change plans).
    const raw = new Database(stateDbPath(dir));
    raw.exec('ANALYZE');
    raw.close();
    const reopened = VerdictStore.open(dir);
    assert.equal(reopened.count(), 20_000);
    assert.deepEqual(reopened.lookupPlan(), planAtOne);
    assert.equal(reopened.get(sha('s12345'))?.decidedAt, T0 + 12_345);
    reopened.close();
  });
});

describe('isFreshClean', () => {
  const hour = 3_600_000;
  it('an engine clean verdict is fresh for the TTL, then not', () => {
    const clean = record({ verdict: 'clean', decidedAt: T0 });
    assert.equal(isFreshClean(clean, hour, T0), true);
    assert.equal(isFreshClean(clean, hour, T0 + hour - 1), true);
    assert.equal(isFreshClean(clean, hour, T0 + hour), false);
    assert.equal(isFreshClean(clean, 0, T0), false, 'a TTL of 0 always analyses again');
  });
  it('a manual clean decision does not expire; other verdicts and no record are never fresh clean', () => {
    assert.equal(isFreshClean(record({ verdict: 'clean', source: 'manual' }), hour, T0 + 1000 * hour), true);
    assert.equal(isFreshClean(record({ verdict: 'malicious' }), hour, T0), false);
    assert.equal(isFreshClean(record({ verdict: 'suspicious' }), hour, T0), false);
    assert.equal(isFreshClean(undefined, hour, T0), false);
  });
});

describe('verdict sizes', () => {
  it('keeps the decoded size of the part when given one; a state.db made before sizes gets the column and keeps its rows', () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const old = new Database(stateDbPath(dir));
    old.exec('CREATE TABLE verdicts (sha256 TEXT NOT NULL PRIMARY KEY CHECK (length(sha256) = 64), verdict TEXT NOT NULL, backend TEXT NOT NULL, name TEXT, decided_at INTEGER NOT NULL, source TEXT NOT NULL) WITHOUT ROWID');
    old.prepare('INSERT INTO verdicts VALUES (?, ?, ?, ?, ?, ?)').run(sha('old'), 'malicious', 'sandbox', null, T0, 'engine');
    old.close();
    const store = VerdictStore.open(dir);
    assert.equal(store.get(sha('old'))?.size, undefined, 'an old row has no size');
    store.put(record({ size: 1234 }));
    assert.equal(store.get(sha('part'))?.size, 1234);
    const heard: [string, number | undefined][] = [];
    store.onStored((sha256, size) => heard.push([sha256, size]));
    store.put(record({ decidedAt: T0 + 1 }));
    assert.equal(store.get(sha('part'))?.size, 1234, 'a newer verdict without a size keeps the one known');
    const listed: [string, number | undefined][] = [];
    store.forEachSha256((sha256, size) => listed.push([sha256, size]));
    assert.deepEqual(new Map(listed), new Map([[sha('old'), undefined], [sha('part'), 1234]]));
    assert.deepEqual(heard, [[sha('part'), undefined]]);
    assert.throws(() => store.put(record({ sha256: sha('bad'), size: -1 })), VerdictStoreError);
    store.close();
    VerdictStore.open(dir).close();
  });
});
