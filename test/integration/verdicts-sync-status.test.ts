// `inboxguard verdicts sync-status [--json]` (#18) run as a real CLI process against a real Redis and the
// state.db a sharing instance (the proxy's side, started in this process) writes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REDIS_PACKAGES, startRedis, type RedisServer } from '../../scripts/test-servers/redis.js';
import { stateDbPath } from '../../src/store/state-db.js';
import { verdictChange } from '../../src/store/verdict-sharing/shared-change.js';
import { startVerdictSharing, type VerdictSharing } from '../../src/store/verdict-sharing/verdict-sharing.js';
import { VerdictStore, type VerdictRecord } from '../../src/store/verdicts.js';
import { runCli } from '../helpers/cli.js';
import { requireCommand } from '../helpers/require-servers.js';
import { waitUntil } from '../helpers/wait-until.js';

const skip = requireCommand('redis-server', REDIS_PACKAGES);
const STREAM = 'cli:verdicts';

function record(label: string): VerdictRecord {
  return { sha256: createHash('sha256').update(label).digest('hex'), verdict: 'malicious', backend: 'sandbox', decidedAt: Date.now(), source: 'engine' };
}

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

function start(dataDir: string, url: string): { sharing: VerdictSharing; store: VerdictStore } {
  const store = new VerdictStore(stateDbPath(dataDir));
  const sharing = startVerdictSharing({ share: { redis: url, stream: STREAM, maxLength: 1000, maxQueued: 100 }, store, db: stateDbPath(dataDir), log: quiet, blockMs: 300, pollMs: 100 });
  return { sharing, store };
}

/** waitUntil, with what it waits for first. */
const waitFor = (what: string, check: () => boolean): Promise<void> => waitUntil(check, what);

async function syncStatus(dataDir: string): Promise<Record<string, unknown> & { lag?: { entriesBehind: number }; recorded?: { link: string } }> {
  const result = await runCli(['verdicts', 'sync-status', '--json'], dataDir);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe('inboxguard verdicts sync-status', { skip }, () => {
  let redis: RedisServer;
  const dirs: string[] = [];
  const newDataDir = (url?: string, extra = ''): string => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-sync-status-'));
    dirs.push(dir);
    if (url) writeFileSync(join(dir, 'config.yaml'), `analysis:\n  share:\n    redis: "${url}"\n    stream: ${STREAM}\n${extra}`);
    return dir;
  };
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('off without analysis.share.redis', async () => {
    const dataDir = newDataDir();
    assert.deepEqual(await syncStatus(dataDir), { enabled: false });
    const text = await runCli(['verdicts', 'sync-status'], dataDir);
    assert.match(text.stdout, /verdict sharing is off/);
  });

  it('the running proxy\'s link and lag, then a stopped proxy falling behind, then Redis unreachable', async () => {
    const aDir = newDataDir(redis.url);
    const b = start(newDataDir(redis.url), redis.url);
    let a = start(aDir, redis.url);
    await waitFor('links up', () => a.sharing.status().link === 'up' && b.sharing.status().link === 'up');
    b.sharing.publish(verdictChange(record('first')));
    await waitFor('A received it', () => a.sharing.status().received === 1);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the recorded status is refreshed at most once a second
    const up = await syncStatus(aDir);
    assert.equal(up.enabled, true);
    assert.equal(up.proxyRunning, true);
    assert.equal(up.recorded?.link, 'up');
    assert.equal(up.queued, 0);
    assert.equal(up.lag?.entriesBehind, 0);
    assert.equal((up.recorded as { received?: number } | undefined)?.received, 1);

    await a.sharing.close();
    a.store.close();
    for (const label of ['second', 'third', 'fourth']) b.sharing.publish(verdictChange(record(label)));
    await waitFor('B published', () => b.sharing.status().published === 4);
    const behind = await syncStatus(aDir);
    assert.equal(behind.proxyRunning, false);
    assert.equal(behind.recorded?.link, 'closed');
    assert.equal(behind.lag?.entriesBehind, 3);
    const text = await runCli(['verdicts', 'sync-status'], aDir);
    assert.match(text.stdout, /proxy not running/);
    assert.match(text.stdout, /lag: 3 entries behind the stream/);

    a = start(aDir, redis.url);
    await waitFor('A caught up', () => a.store.count() === 4);
    await redis.stop();
    const unreachable = await syncStatus(aDir);
    assert.match(String(unreachable.redisError), /ECONNREFUSED/);
    assert.equal(unreachable.lag, undefined);
    await redis.start();
    await a.sharing.close();
    a.store.close();
    await b.sharing.close();
    b.store.close();
  });

  it('a passwordFile readable by others: one line, exit 2', async () => {
    const dataDir = newDataDir();
    const passwordFile = join(dataDir, 'redis-password');
    writeFileSync(passwordFile, 'secret', { mode: 0o644 });
    writeFileSync(join(dataDir, 'config.yaml'), `analysis:\n  share:\n    redis: "${redis.url}"\n    passwordFile: ${passwordFile}\n`);
    const result = await runCli(['verdicts', 'sync-status'], dataDir);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /readable by others/);
  });
});
