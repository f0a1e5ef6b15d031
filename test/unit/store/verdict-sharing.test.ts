// The parts of verdict sharing (#18) that need no Redis: the change encoding and conflict rule, stream
// id order, the state.db tables (queue bound, tombstones, instance id), applying remote changes, and
// reading analysis.share into connection options.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ConnectionOptions } from 'node:tls';
import { stateDbPath } from '../../../src/store/state-db.js';
import { applyRemoteChange } from '../../../src/store/verdict-sharing/apply-remote.js';
import { redisTarget, ShareConfigError, type ShareOptions } from '../../../src/store/verdict-sharing/redis-connection.js';
import { ShareTables } from '../../../src/store/verdict-sharing/share-tables.js';
import { changeWins, decodeChange, encodeChange, forgetChange, verdictChange, type SharedChange } from '../../../src/store/verdict-sharing/shared-change.js';
import { compareStreamIds, streamIdTime } from '../../../src/store/verdict-sharing/stream-ids.js';
import { VerdictStore } from '../../../src/store/verdicts.js';
import { freshDirs, sha, T0, verdictRecord } from '../../helpers/verdict-records.js';

const freshDir = freshDirs('inboxguard-sharing-');
const record = verdictRecord;

const share = (over: Partial<ShareOptions> = {}): ShareOptions => ({ stream: 's', maxLength: 10, maxQueued: 10, ...over });

describe('shared changes', () => {
  it('encode and decode round-trip verdicts (with and without a name) and forgets', () => {
    for (const change of [verdictChange(record()), verdictChange(record({ name: undefined, source: 'manual', verdict: 'clean' })), forgetChange(sha('x'), T0)]) {
      const { name: _name, ...withoutUndefined } = change as SharedChange & { name?: string };
      const expected = 'name' in change && change.name === undefined ? withoutUndefined : change;
      assert.deepEqual(decodeChange(encodeChange(change)), expected);
    }
  });

  it('a verdict carries its part size when known; a size that is not a whole number of bytes is dropped, not the verdict', () => {
    const sized = verdictChange(record({ size: 4096 }));
    assert.deepEqual(decodeChange(encodeChange(sized)), sized);
    const good = JSON.parse(encodeChange(verdictChange(record()))) as Record<string, unknown>;
    for (const size of [-1, 1.5, '12']) assert.deepEqual(decodeChange(JSON.stringify({ ...good, size })), verdictChange(record()), String(size));
  });

  it('decode refuses what a foreign or broken writer could leave', () => {
    const good = JSON.parse(encodeChange(verdictChange(record()))) as Record<string, unknown>;
    const broken = [
      'not json',
      'null',
      JSON.stringify({ ...good, sha256: 'ABC' }),
      JSON.stringify({ ...good, verdict: 'error' }),
      JSON.stringify({ ...good, source: 'robot' }),
      JSON.stringify({ ...good, decidedAt: 1.5 }),
      JSON.stringify({ ...good, kind: 'purge' }),
      JSON.stringify({ kind: 'forget', sha256: sha('x'), forgottenAt: 'yesterday' }),
    ];
    for (const text of broken) assert.equal(decodeChange(text), undefined, text);
  });

  it('the conflict rule: manual beats engine, newer wins within a source, forgets erase what is not newer', () => {
    const engine = (at: number) => verdictChange(record({ decidedAt: at }));
    const manual = (at: number) => verdictChange(record({ decidedAt: at, source: 'manual', verdict: 'clean' }));
    const forget = (at: number) => forgetChange(sha('part'), at);
    assert.equal(changeWins(undefined, engine(T0)), true);
    assert.equal(changeWins(engine(T0), engine(T0 + 1)), true);
    assert.equal(changeWins(engine(T0), engine(T0)), true, 'ties go to the incoming one, as in VerdictStore.put');
    assert.equal(changeWins(engine(T0 + 1), engine(T0)), false);
    assert.equal(changeWins(engine(T0 + 5), manual(T0)), true, 'manual beats a newer engine verdict');
    assert.equal(changeWins(manual(T0), engine(T0 + 5)), false);
    assert.equal(changeWins(manual(T0 + 1), manual(T0)), false);
    assert.equal(changeWins(manual(T0), forget(T0)), true, 'a forget erases a manual decision too');
    assert.equal(changeWins(engine(T0 + 1), forget(T0)), false, 'not a verdict reached after it');
    assert.equal(changeWins(forget(T0), engine(T0)), false);
    assert.equal(changeWins(forget(T0), engine(T0 + 1)), true);
    assert.equal(changeWins(forget(T0), forget(T0 + 1)), true);
    assert.equal(changeWins(forget(T0 + 1), forget(T0)), false);
  });
});

describe('stream ids', () => {
  it('compare by time, then sequence, beyond 2^53', () => {
    assert.ok(compareStreamIds('1-0', '2-0') < 0);
    assert.ok(compareStreamIds('10-0', '9-5') > 0);
    assert.ok(compareStreamIds('5-2', '5-10') < 0);
    assert.equal(compareStreamIds('7-7', '7-7'), 0);
    assert.ok(compareStreamIds('18446744073709551615-1', '18446744073709551615-0') > 0);
    assert.equal(streamIdTime('1733540000123-4'), 1733540000123);
    assert.throws(() => compareStreamIds('1733540000123', '0-0'));
  });
});

describe('state.db tables of verdict sharing', () => {
  it('queue: kept in order across reopening, bounded by maxQueued (the oldest dropped and counted), removed when published', () => {
    const path = stateDbPath(freshDir());
    let tables = new ShareTables(path);
    const changes = Array.from({ length: 7 }, (_, i) => verdictChange(record({ sha256: sha(`p${i}`) })));
    const dropped = changes.map((change) => tables.enqueue(change, 5));
    assert.deepEqual(dropped, [0, 0, 0, 0, 0, 1, 1]);
    tables.close();
    tables = new ShareTables(path);
    assert.equal(tables.queued(), 5);
    assert.equal(tables.dropped(), 2);
    const queued = tables.peek(3);
    assert.deepEqual(queued.map((q) => q.change), changes.slice(2, 5));
    tables.remove(queued.map((q) => q.seq));
    assert.deepEqual(tables.peek(10).map((q) => q.change), changes.slice(5));
    tables.close();
  });

  it('a queued forget leaves a tombstone; the newest forget is kept', () => {
    const tables = new ShareTables(stateDbPath(freshDir()));
    tables.enqueue(forgetChange(sha('part'), T0 + 10), 10);
    tables.recordForget(sha('part'), T0);
    assert.deepEqual(tables.forgetOf(sha('part')), forgetChange(sha('part'), T0 + 10));
    assert.equal(tables.forgetOf(sha('other')), undefined);
    tables.close();
  });

  it('the instance id is made once and survives reopening; positions are per stream', () => {
    const path = stateDbPath(freshDir());
    let tables = new ShareTables(path);
    const id = tables.instanceId();
    assert.match(id, /^[0-9a-f-]{36}$/);
    tables.setLastSeenId('a', '5-0');
    tables.close();
    tables = new ShareTables(path);
    assert.equal(tables.instanceId(), id);
    assert.equal(tables.lastSeenId('a'), '5-0');
    assert.equal(tables.lastSeenId('b'), undefined);
    tables.close();
    assert.notEqual(new ShareTables(stateDbPath(freshDir())).instanceId(), id);
  });
});

describe('applying a remote change', () => {
  it('a new verdict is taken and returned; the same one again is not news; a losing one is not taken', () => {
    const path = stateDbPath(freshDir());
    const store = new VerdictStore(path);
    const tables = new ShareTables(path);
    assert.deepEqual(applyRemoteChange(store, tables, verdictChange(record())), record());
    assert.equal(applyRemoteChange(store, tables, verdictChange(record())), undefined);
    const manual = record({ source: 'manual', verdict: 'clean', decidedAt: T0 - 1 });
    assert.deepEqual(applyRemoteChange(store, tables, verdictChange(manual)), manual);
    assert.equal(applyRemoteChange(store, tables, verdictChange(record({ decidedAt: T0 + 9 }))), undefined);
    assert.deepEqual(store.get(sha('part')), manual);
    store.close();
    tables.close();
  });

  it('a forget erases a record not newer than it and blocks older verdicts arriving later', () => {
    const path = stateDbPath(freshDir());
    const store = new VerdictStore(path);
    const tables = new ShareTables(path);
    store.put(record({ decidedAt: T0 + 20 }));
    assert.equal(applyRemoteChange(store, tables, forgetChange(sha('part'), T0 + 10)), undefined);
    assert.equal(store.get(sha('part'))?.decidedAt, T0 + 20, 'a verdict newer than the forget stays');
    applyRemoteChange(store, tables, forgetChange(sha('part'), T0 + 30));
    assert.equal(store.get(sha('part')), undefined);
    assert.equal(applyRemoteChange(store, tables, verdictChange(record({ decidedAt: T0 + 25 }))), undefined);
    assert.equal(store.get(sha('part')), undefined);
    assert.deepEqual(applyRemoteChange(store, tables, verdictChange(record({ decidedAt: T0 + 31 }))), record({ decidedAt: T0 + 31 }));
    store.close();
    tables.close();
  });
});

describe('analysis.share to a Redis connection', () => {
  it('reads host, port, database and credentials from the address; the display carries no credentials', () => {
    const target = redisTarget(share({ redis: 'redis://ig:p%40ss%3Aword@redis.example:6380/3' }));
    assert.deepEqual(
      { host: target.options.host, port: target.options.port, db: target.options.db, username: target.options.username, password: target.options.password, tls: target.options.tls },
      { host: 'redis.example', port: 6380, db: 3, username: 'ig', password: 'p@ss:word', tls: undefined },
    );
    assert.equal(target.display, 'redis://redis.example:6380/3');
    const plain = redisTarget(share({ redis: 'redis://127.0.0.1' }));
    assert.deepEqual([plain.options.port, plain.options.db, plain.options.password], [6379, 0, undefined]);
    assert.equal(redisTarget(share({ redis: 'redis://[::1]:7000/0' })).display, 'redis://[::1]:7000/0');
  });

  it('rediss:// verifies: system CAs plus caFile, TLS 1.2 at least, server name for host names', () => {
    const dir = freshDir();
    const caFile = `${dir}-ca.pem`;
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n');
    const tlsOf = (options: ShareOptions) => redisTarget(options).options.tls as ConnectionOptions | undefined;
    const tls = tlsOf(share({ redis: 'rediss://redis.example/0', caFile }));
    assert.equal(tls?.rejectUnauthorized, true);
    assert.equal(tls?.minVersion, 'TLSv1.2');
    assert.equal(tls?.servername, 'redis.example');
    assert.ok(Array.isArray(tls?.ca) && tls.ca.length > 1 && String(tls.ca.at(-1)).includes('TEST'));
    assert.equal(tlsOf(share({ redis: 'rediss://127.0.0.1/0' }))?.servername, undefined);
    assert.throws(() => redisTarget(share({ redis: 'rediss://127.0.0.1/0', caFile: join(dir, 'missing.pem') })), /caFile .*ENOENT/);
  });

  it('passwordFile: 0600 read (one trailing newline dropped), others refused; never both ways; bad addresses refused', () => {
    const file = `${freshDir()}-password`;
    writeFileSync(file, 'from-file\n', { mode: 0o600 });
    assert.equal(redisTarget(share({ redis: 'redis://127.0.0.1/0', passwordFile: file })).options.password, 'from-file');
    assert.throws(() => redisTarget(share({ redis: 'redis://:inline@127.0.0.1/0', passwordFile: file })), /not both/);
    chmodSync(file, 0o640);
    assert.throws(() => redisTarget(share({ redis: 'redis://127.0.0.1/0', passwordFile: file })), (error: Error) => error instanceof ShareConfigError && /readable by others/.test(error.message) && !error.message.includes('from-file'));
    assert.throws(() => redisTarget(share({ redis: 'redis://127.0.0.1/0', passwordFile: `${freshDir()}-nope` })), /ENOENT/);
    assert.throws(() => redisTarget(share({})), /not set/);
    assert.throws(() => redisTarget(share({ redis: 'redis://127.0.0.1/zero' })), /database number/);
  });
});
