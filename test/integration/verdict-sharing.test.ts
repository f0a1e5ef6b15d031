// Verdict sharing (#18) between instances, each with its own state.db and VerdictStore, through a real
// redis-server started by scripts/test-servers/redis.ts: propagation, forgets, the conflict rule, a
// Redis outage while verdicts are published, catching up (from the stream, from the hash when the
// stream was trimmed), requirepass, TLS, Redis down at start-up, and the bounded queue.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { REDIS_PACKAGES, startRedis, type RedisServer } from '../../scripts/test-servers/redis.js';
import { hashKey } from '../../src/store/verdict-sharing/publish-script.js';
import { ShareConfigError, type ShareOptions } from '../../src/store/verdict-sharing/redis-connection.js';
import { ShareTables } from '../../src/store/verdict-sharing/share-tables.js';
import { forgetChange, verdictChange } from '../../src/store/verdict-sharing/shared-change.js';
import { queueSharedChange, startVerdictSharing, type VerdictSharing } from '../../src/store/verdict-sharing/verdict-sharing.js';
import { VerdictStore, type VerdictRecord } from '../../src/store/verdicts.js';
import { requireCommand } from '../helpers/require-servers.js';
import { waitUntil } from '../helpers/wait-until.js';

const skip = requireCommand('redis-server', REDIS_PACKAGES);

interface LogLine {
  level: 'info' | 'warn' | 'debug';
  message: string;
  fields: object;
}

interface Instance {
  name: string;
  dir: string;
  dbPath: string;
  store: VerdictStore;
  sharing: VerdictSharing;
  lines: LogLine[];
  remote: VerdictRecord[];
  /** Stops sharing and closes the store; the data dir stays for a restart. */
  stop(): Promise<void>;
}

const dirs: string[] = [];
const running = new Set<Instance>();

function sha(label: string): string {
  return createHash('sha256').update(label).digest('hex');
}

function engineVerdict(label: string, decidedAt = Date.now(), verdict: VerdictRecord['verdict'] = 'malicious'): VerdictRecord {
  return { sha256: sha(label), verdict, backend: 'sandbox', name: `Test.${label}`, decidedAt, source: 'engine' };
}

function shareFor(url: string, more: Partial<ShareOptions> = {}): ShareOptions {
  return { redis: url, stream: 'test:verdicts', maxLength: 100_000, maxQueued: 10_000, ...more };
}

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ig-share-'));
  dirs.push(dir);
  return dir;
}

function startInstance(name: string, share: ShareOptions & { commandTimeoutMs?: number }, dir: string = newDir()): Instance {
  const dbPath = join(dir, 'state.db');
  const store = new VerdictStore(dbPath);
  const lines: LogLine[] = [];
  const remote: VerdictRecord[] = [];
  const push = (level: LogLine['level']) => (fields: object, message: string) => lines.push({ level, fields, message });
  const sharing = startVerdictSharing({
    share,
    store,
    db: dbPath,
    log: { info: push('info'), warn: push('warn'), debug: push('debug') },
    onRemoteVerdict: (record) => remote.push(record),
    blockMs: 300,
    pollMs: 100,
    ...(share.commandTimeoutMs !== undefined ? { commandTimeoutMs: share.commandTimeoutMs } : {}),
  });
  const instance: Instance = {
    name,
    dir,
    dbPath,
    store,
    sharing,
    lines,
    remote,
    stop: async () => {
      running.delete(instance);
      await sharing.close();
      store.close();
    },
  };
  running.add(instance);
  return instance;
}

/** waitUntil, with what it waits for first. */
const waitFor = (what: string, check: () => boolean): Promise<void> => waitUntil(check, what);

const linkLines = (instance: Instance, pattern: RegExp): LogLine[] => instance.lines.filter((line) => pattern.test(line.message));

afterEach(async () => {
  for (const instance of [...running]) await instance.stop();
});

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('verdict sharing through a real Redis', { skip }, () => {
  let redis: RedisServer;
  let stream = 0;
  /** A stream of its own per test, so that tests do not see each other's entries. */
  const share = (more: Partial<ShareOptions> = {}): ShareOptions => shareFor(redis.url, { stream: `test:verdicts:${stream}`, ...more });
  before(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    stream++;
    await redis.start();
  });
  after(async () => {
    await redis?.remove();
  });

  it('a verdict published by A is in B\'s store and reported by B, not by A; the hash keeps it', async () => {
    const a = startInstance('A', share());
    const b = startInstance('B', share());
    await waitFor('both links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    const record = engineVerdict('one');
    a.store.put(record);
    a.sharing.publish(verdictChange(record));
    await waitFor('B has the verdict', () => b.store.get(record.sha256) !== undefined);
    assert.deepEqual(b.store.get(record.sha256), record);
    assert.deepEqual(b.remote, [record]);
    await waitFor('A has read its own entry back', () => a.sharing.status().lastSeenId !== undefined && a.sharing.status().queued === 0);
    assert.deepEqual(a.remote, [], 'an instance ignores its own entries');
    assert.equal(a.sharing.status().published, 1);
    const client = new Redis(redis.url);
    try {
      const kept = JSON.parse((await client.hget(hashKey(share().stream), record.sha256)) as string) as { origin: string; change: { verdict: string } };
      assert.equal(kept.origin, a.sharing.status().instanceId);
      assert.equal(kept.change.verdict, 'malicious');
      assert.equal(await client.xlen(share().stream), 1);
    } finally {
      client.disconnect();
    }
  });

  it('a malformed entry from a foreign writer is skipped with one line; the entries after it are applied', async () => {
    const b = startInstance('B', share());
    await waitFor('B up', () => b.sharing.status().link === 'up');
    const record = engineVerdict('after-garbage');
    const client = new Redis(redis.url);
    try {
      await client.xadd(share().stream, '*', 'origin', 'someone-else', 'change', '{"kind":"verdict","sha256":"not-hex"}');
      await client.xadd(share().stream, '*', 'origin', 'someone-else', 'change', JSON.stringify(verdictChange(record)));
    } finally {
      client.disconnect();
    }
    await waitFor('B has the valid one', () => b.store.get(record.sha256) !== undefined);
    assert.equal(linkLines(b, /malformed/).length, 1);
    assert.equal(b.store.count(), 1);
  });

  it('conflicts: a manual decision beats a newer engine verdict on both machines and in the hash; newest engine verdict wins', async () => {
    const a = startInstance('A', share());
    const b = startInstance('B', share());
    await waitFor('both links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    const t = Date.now();
    const manual: VerdictRecord = { sha256: sha('disputed'), verdict: 'clean', backend: 'cli', decidedAt: t, source: 'manual' };
    a.store.put(manual);
    a.sharing.publish(verdictChange(manual));
    await waitFor('B has the manual decision', () => b.store.get(manual.sha256)?.source === 'manual');
    const engine = engineVerdict('disputed', t + 1000);
    assert.equal(b.store.put(engine), false, 'B keeps the manual decision locally');
    b.sharing.publish(verdictChange(engine));
    const older = engineVerdict('engines', t);
    const newer = engineVerdict('engines', t + 1000, 'suspicious');
    a.store.put(newer);
    a.sharing.publish(verdictChange(newer));
    b.store.put(older);
    b.sharing.publish(verdictChange(older));
    const markerFromB = engineVerdict('marker-from-b', t);
    b.sharing.publish(verdictChange(markerFromB));
    await waitFor('A read everything B published', () => a.store.get(markerFromB.sha256) !== undefined);
    await waitFor('B read the newer engine verdict', () => b.store.get(newer.sha256)?.verdict === 'suspicious');
    assert.deepEqual(a.store.get(manual.sha256), manual);
    assert.deepEqual(b.store.get(manual.sha256), manual);
    assert.deepEqual(a.store.get(newer.sha256), newer);
    assert.deepEqual(a.remote, [markerFromB], 'A took only the marker from B: B\'s other changes lost by the rule');
    const client = new Redis(redis.url);
    try {
      const hash = hashKey(share().stream);
      assert.equal((JSON.parse((await client.hget(hash, manual.sha256)) as string) as { change: { source: string } }).change.source, 'manual');
      assert.equal((JSON.parse((await client.hget(hash, newer.sha256)) as string) as { change: { verdict: string } }).change.verdict, 'suspicious');
    } finally {
      client.disconnect();
    }
  });

  it('a forget travels: B forgets, A erases; a verdict from before the forget does not come back, one after it stands', async () => {
    const a = startInstance('A', share());
    const b = startInstance('B', share());
    await waitFor('both links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    const t = Date.now();
    const record = engineVerdict('forgotten', t - 10_000);
    a.store.put(record);
    a.sharing.publish(verdictChange(record));
    await waitFor('B has it', () => b.store.get(record.sha256) !== undefined);
    // `verdicts forget` runs in the CLI, not in the proxy: it queues the forget in state.db and B's publisher sends it.
    b.store.forget(record.sha256);
    queueSharedChange(b.dbPath, forgetChange(record.sha256, t), 10_000);
    await waitFor('A forgot it', () => a.store.get(record.sha256) === undefined);
    const stale = engineVerdict('forgotten', t - 5000);
    a.sharing.publish(verdictChange(stale));
    const fresh = engineVerdict('forgotten', t + 5000, 'suspicious');
    const marker = engineVerdict('marker', t + 6000);
    a.sharing.publish(verdictChange(fresh));
    a.sharing.publish(verdictChange(marker));
    await waitFor('B read up to the marker', () => b.store.get(marker.sha256) !== undefined);
    assert.deepEqual(b.store.get(record.sha256), fresh);
    assert.deepEqual(
      b.remote.map((r) => [r.sha256, r.decidedAt]),
      [record, fresh, marker].map((r) => [r.sha256, r.decidedAt]),
      'the stale verdict was not taken',
    );
  });

  it('Redis stopped while A publishes: publish returns, the verdict waits in state.db, one line down, one back, B has it after', async () => {
    const a = startInstance('A', share());
    const b = startInstance('B', share());
    await waitFor('both links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    await redis.stop();
    await waitFor('A sees the link down', () => a.sharing.status().link === 'down');
    const records = [engineVerdict('outage-1'), engineVerdict('outage-2')];
    for (const record of records) a.sharing.publish(verdictChange(record));
    assert.equal(a.sharing.status().queued, 2);
    const tables = new ShareTables(a.dbPath);
    assert.equal(tables.queued(), 2, 'the queue is in state.db');
    tables.close();
    await new Promise((resolve) => setTimeout(resolve, 500)); // several reconnect attempts while down
    await redis.start();
    await waitFor('B has both', () => records.every((r) => b.store.get(r.sha256) !== undefined));
    assert.deepEqual(b.remote.map((r) => r.sha256).sort(), records.map((r) => r.sha256).sort());
    await waitFor('A queue empty', () => a.sharing.status().queued === 0);
    assert.equal(linkLines(a, /link down/).length, 1);
    assert.equal(linkLines(a, /link back/).length, 1);
    assert.equal(linkLines(b, /link down/).length, 1);
  });

  it('Redis stalled (SIGSTOP) while A publishes: publish returns, the command times out, the link counts as down once, the queue goes out after', async () => {
    const stalling = { ...share(), commandTimeoutMs: 400 };
    const a = startInstance('A', stalling);
    const b = startInstance('B', stalling);
    await waitFor('both links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    process.kill(redis.pid(), 'SIGSTOP');
    try {
      const record = engineVerdict('stalled');
      a.sharing.publish(verdictChange(record));
      assert.equal(a.sharing.status().queued, 1);
      await waitFor('A counts the link down', () => a.sharing.status().link === 'down');
      assert.match(JSON.stringify(linkLines(a, /link down/)[0]?.fields), /timed out/i);
      process.kill(redis.pid(), 'SIGCONT');
      await waitFor('B has it', () => b.store.get(record.sha256) !== undefined);
      await waitFor('A queue empty', () => a.sharing.status().queued === 0);
      assert.equal(linkLines(a, /link down/).length, 1);
      assert.equal(linkLines(a, /link back/).length, 1);
    } finally {
      process.kill(redis.pid(), 'SIGCONT');
    }
  });

  it('an instance started after the verdicts catches up: from the stream after a restart, from the hash when new', async () => {
    const a = startInstance('A', share());
    let b = startInstance('B', share());
    await waitFor('both links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    const first = engineVerdict('before-restart');
    a.sharing.publish(verdictChange(first));
    await waitFor('B has the first', () => b.store.get(first.sha256) !== undefined);
    const bDir = b.dir;
    await b.stop();
    const missed = engineVerdict('while-b-was-off');
    a.sharing.publish(verdictChange(missed));
    await waitFor('A published', () => a.sharing.status().queued === 0 && a.sharing.status().published === 2);
    b = startInstance('B', share(), bDir);
    await waitFor('B caught up', () => b.store.get(missed.sha256) !== undefined);
    assert.deepEqual(b.remote, [missed], 'only the missed verdict is new to B');
    const c = startInstance('C', share());
    await waitFor('C caught up', () => c.store.count() === 2);
    assert.deepEqual(c.remote.map((r) => r.sha256).sort(), [first, missed].map((r) => r.sha256).sort());
  });

  it('an instance behind the trimmed start of the stream catches up from the hash', async () => {
    const a = startInstance('A', share({ maxLength: 10 }));
    let b = startInstance('B', share({ maxLength: 10 }));
    await waitFor('both links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    const bDir = b.dir;
    a.sharing.publish(verdictChange(engineVerdict('seen-by-b')));
    await waitFor('B read it', () => b.store.count() === 1);
    await b.stop();
    const records = Array.from({ length: 400 }, (_, i) => engineVerdict(`trimmed-${i}`));
    for (const record of records) a.sharing.publish(verdictChange(record));
    await waitFor('A published all', () => a.sharing.status().queued === 0);
    const client = new Redis(redis.url);
    try {
      assert.ok((await client.xlen(share().stream)) < 400, 'the stream was trimmed');
    } finally {
      client.disconnect();
    }
    b = startInstance('B', share({ maxLength: 10 }), bDir);
    await waitFor('B has all 401', () => b.store.count() === 401);
    assert.equal(new Set(b.remote.map((r) => r.sha256)).size, 400);
  });

  it('Redis down at start-up: start succeeds with one clear line; publishes once Redis is there', async () => {
    await redis.stop();
    const a = startInstance('A', share());
    await waitFor('A logs the link down', () => a.sharing.status().link === 'down');
    const record = engineVerdict('early');
    a.sharing.publish(verdictChange(record));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const startupLines = a.lines.filter((line) => line.level !== 'debug');
    assert.equal(startupLines.length, 1, JSON.stringify(startupLines));
    assert.match(startupLines[0]?.message ?? '', /Redis unreachable at start-up/);
    assert.match(JSON.stringify(startupLines[0]?.fields), /ECONNREFUSED/);
    await redis.start();
    const b = startInstance('B', share());
    await waitFor('B has it', () => b.store.get(record.sha256) !== undefined);
    assert.equal(linkLines(a, /link back/).length, 1);
  });

  it('the queue is bounded by maxQueued: the oldest are dropped, once warned; the rest arrive', async () => {
    const a = startInstance('A', share({ maxQueued: 5 }));
    const b = startInstance('B', share());
    await waitFor('both links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    await redis.stop();
    await waitFor('A sees the link down', () => a.sharing.status().link === 'down');
    const records = Array.from({ length: 8 }, (_, i) => engineVerdict(`bounded-${i}`));
    for (const record of records) a.sharing.publish(verdictChange(record));
    assert.equal(a.sharing.status().queued, 5);
    assert.equal(a.sharing.status().dropped, 3);
    assert.equal(linkLines(a, /queue full/).length, 1);
    await redis.start();
    const marker = engineVerdict('bounded-marker');
    await waitFor('A queue empty', () => a.sharing.status().queued === 0);
    a.sharing.publish(verdictChange(marker));
    await waitFor('B has the marker', () => b.store.get(marker.sha256) !== undefined);
    assert.deepEqual(
      b.remote.map((r) => r.sha256),
      [...records.slice(3), marker].map((r) => r.sha256),
    );
  });
});

describe('verdict sharing: requirepass', { skip }, () => {
  const PASSWORD = 'correct horse:battery@staple';
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ password: PASSWORD });
  });
  after(async () => {
    await redis?.remove();
  });

  it('the password in the URL and in a 0600 passwordFile both work', async () => {
    const passwordFile = join(newDir(), 'redis-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const a = startInstance('A', shareFor(redis.url, { stream: 'auth:1' }));
    const b = startInstance('B', shareFor(redis.urlWithoutPassword, { stream: 'auth:1', passwordFile }));
    await waitFor('both links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    const record = engineVerdict('authed');
    a.sharing.publish(verdictChange(record));
    await waitFor('B has it', () => b.store.get(record.sha256) !== undefined);
  });

  it('a passwordFile readable by others is refused; a wrong password keeps the link down and never reaches the log', async () => {
    const passwordFile = join(newDir(), 'redis-password');
    writeFileSync(passwordFile, PASSWORD, { mode: 0o600 });
    chmodSync(passwordFile, 0o644);
    assert.throws(() => startInstance('A', shareFor(redis.urlWithoutPassword, { stream: 'auth:2', passwordFile })), ShareConfigError);
    const wrong = 'not-the-password-123';
    const a = startInstance('A', shareFor(redis.url.replace(encodeURIComponent(PASSWORD), wrong), { stream: 'auth:2' }));
    await waitFor('A gives a reason', () => /WRONGPASS|NOAUTH|invalid/i.test(a.sharing.status().lastError ?? ''));
    assert.notEqual(a.sharing.status().link, 'up');
    assert.ok(!JSON.stringify(a.lines).includes(wrong));
    assert.ok(!JSON.stringify(a.sharing.status()).includes(wrong));
  });
});

describe('verdict sharing: TLS (rediss://)', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ tls: true });
  });
  after(async () => {
    await redis?.remove();
  });

  it('verified against the configured CA file; without it the link stays down with a certificate error', async () => {
    const share = shareFor(redis.url, { stream: 'tls:1', caFile: redis.caPath });
    const a = startInstance('A', share);
    const b = startInstance('B', share);
    await waitFor('both links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    const record = engineVerdict('over-tls');
    a.sharing.publish(verdictChange(record));
    await waitFor('B has it', () => b.store.get(record.sha256) !== undefined);
    const untrusting = startInstance('C', shareFor(redis.url, { stream: 'tls:1' }));
    await waitFor('C gives a certificate reason', () => /certificate|self.signed|issuer/i.test(untrusting.sharing.status().lastError ?? ''));
    assert.notEqual(untrusting.sharing.status().link, 'up');
    assert.equal(untrusting.store.count(), 0);
  });
});
