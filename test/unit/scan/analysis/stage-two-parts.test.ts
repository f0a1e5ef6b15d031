// The pieces of stage 2 that need no backend: the holds registry, how several backends' answers
// combine, and what the evaluation learns about a part from the verdict store (a real state.db).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analysisSchema } from '../../../../src/config/analysis-schema.js';
import { HoldRegistry } from '../../../../src/scan/analysis/holds.js';
import { knownVerdicts, type KnownPart } from '../../../../src/scan/analysis/known-parts.js';
import { combine } from '../../../../src/scan/analysis/part-analyses.js';
import { scanDeadlineSeconds } from '../../../../src/scan/analysis/hold-deadline.js';
import { configSchema } from '../../../../src/config/schema.js';
import { VerdictStore } from '../../../../src/store/verdicts.js';

const hash = (content: Buffer) => createHash('sha256').update(content).digest('hex');

describe('holds registry', () => {
  const description = { protocol: 'imap' as const, mailbox: 'INBOX', uid: 7, parts: [{ name: 'a.zip', sha256: 'a'.repeat(64) }], backends: ['sandbox'] };

  it('lists open holds with the time left, and forgets them once they end', async () => {
    const holds = new HoldRegistry();
    const held = holds.open(description, 120_000);
    const [info] = holds.list();
    assert.equal(info.id, held.id);
    assert.equal(info.uid, 7);
    assert.ok(info.timeLeftSeconds === 120 || info.timeLeftSeconds === 119);
    assert.equal(held.info(held.since + 119_500).timeLeftSeconds, 1);
    assert.equal(held.info(held.since + 500_000).timeLeftSeconds, 0);
    assert.equal(holds.release(held.id), true);
    assert.deepEqual(await held.ended, { kind: 'released' });
    assert.deepEqual(holds.list(), []);
    assert.equal(holds.release(held.id), false, 'ended holds cannot be released again');
  });

  it('a hold ends once: the first of release, block, timeout or the verdicts wins', async () => {
    const holds = new HoldRegistry();
    const held = holds.open(description, 1000);
    assert.equal(holds.block(held.id), true);
    assert.equal(held.end({ kind: 'timeout' }), false);
    assert.equal(holds.release(held.id), false);
    assert.deepEqual(await held.ended, { kind: 'blocked' });
    assert.equal(holds.block('unknown'), false);
  });
});

describe('combining the backends of one part', () => {
  const sha = 'b'.repeat(64);
  it('the most serious verdict decides; blocking per analysis.block', () => {
    const results = [
      { verdict: 'clean' as const, backend: 'one' },
      { verdict: 'suspicious' as const, backend: 'two', name: 'Odd.Thing' },
    ];
    assert.equal(combine(sha, results, 'suspicious').blocking, true);
    assert.equal(combine(sha, results, 'malicious').blocking, false);
    assert.equal(combine(sha, results, 'malicious').decisive?.backend, 'two');
    const worse = combine(sha, [...results, { verdict: 'malicious', backend: 'three', name: 'Bad' }], 'malicious');
    assert.equal(worse.verdict, 'malicious');
    assert.equal(worse.decisive?.name, 'Bad');
  });

  it('errors are kept apart; every backend failing leaves no verdict', () => {
    const failed = combine(sha, [{ verdict: 'error', backend: 'icap', detail: 'down' }], 'suspicious');
    assert.equal(failed.verdict, undefined);
    assert.equal(failed.blocking, false);
    assert.equal(failed.errors.length, 1);
    const mixed = combine(sha, [{ verdict: 'error', backend: 'icap' }, { verdict: 'clean', backend: 'cmd' }], 'suspicious');
    assert.equal(mixed.verdict, 'clean');
    assert.equal(mixed.errors.length, 1);
  });
});

describe('what the evaluation knows about a part', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ig-known-parts-'));
  const store = new VerdictStore(join(dir, 'state.db'));
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const config = analysisSchema.parse({ block: 'malicious' });
  const verdicts = knownVerdicts(config, (sha256) => store.get(sha256), true);
  const none = new Map<string, KnownPart>();
  const part = (text: string) => Buffer.from(text);

  it('an unknown part: only its SHA-256 of the decoded bytes', async () => {
    const content = part('unknown');
    assert.deepEqual(await verdicts.standing(content, ['x'], none), { sha256: hash(content) });
  });

  it('a stored malicious verdict is a finding of engine analysis:BACKEND with the stored name', async () => {
    const content = part('bad');
    store.put({ sha256: hash(content), verdict: 'malicious', backend: 'sandbox', name: 'Trojan.Test', decidedAt: Date.now(), source: 'engine' });
    const standing = await verdicts.standing(content, ['a.zip'], none);
    assert.equal(standing.stored, 'malicious');
    assert.deepEqual(standing.finding, { engine: 'analysis:sandbox', name: 'Trojan.Test', kind: 'signature', location: ['a.zip'] });
  });

  it('a stored suspicious verdict that analysis.block does not count: stored (no new analysis), no finding', async () => {
    const content = part('odd');
    store.put({ sha256: hash(content), verdict: 'suspicious', backend: 'sandbox', decidedAt: Date.now(), source: 'engine' });
    const standing = await verdicts.standing(content, ['b'], none);
    assert.equal(standing.stored, 'suspicious');
    assert.equal(standing.finding, undefined);
  });

  it('a decision passed in wins over the store (holds block, onTimeout block, a verdict just reached)', async () => {
    const content = part('decided');
    const known = new Map([[hash(content), { sha256: hash(content), verdict: 'malicious' as const, backend: 'manual', name: 'Manual.Block' }]]);
    assert.equal((await verdicts.standing(content, ['c'], known)).finding?.engine, 'analysis:manual');
  });

  it('the scan deadline covers the maximum wait only when analysis is configured', () => {
    assert.equal(scanDeadlineSeconds(configSchema.parse({})), 120);
    const analysing = configSchema.parse({ analysis: { backends: [{ name: 'x', type: 'command', command: ['true', '{file}'] }], maxWaitSeconds: 30 } });
    assert.equal(scanDeadlineSeconds(analysing), 150);
  });
});
