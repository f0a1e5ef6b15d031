// A part is hashed for the verdict store only when a stored verdict may be about a part of its size
// (the sizes sit beside the SHA-256s in the workers' filter), when some stored verdict has no size, or
// when the pipeline hands decisions in. What is blocked does not change: a stored blocking verdict,
// with or without a size, still blocks the same part in a new message. A real verdict store, its
// filter and the real inspection; the SHA-256 work is counted in bytes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { defaultArchiveLimits } from '../../../src/scan/archive/index.js';
import { KnownHashFilter } from '../../../src/scan/analysis/known-hash-filter.js';
import { KnownHashes } from '../../../src/scan/analysis/known-hashes.js';
import { knownVerdicts, type KnownPart } from '../../../src/scan/analysis/known-parts.js';
import { shapeOf } from '../../../src/scan/body-shape.js';
import { inspectMessage } from '../../../src/scan/inspect-message.js';
import { VerdictStore, type VerdictRecord } from '../../../src/store/verdicts.js';
import type { BodyContext } from '../../../src/types/body-context.js';
import { randomBytesFromSeed } from '../../helpers/messages.js';
import { sha256Bytes } from '../../helpers/sha256-work.js';
import { base64Lines, lines, message } from '../mime/messages.js';

const CONTEXT: BodyContext = { protocol: 'imap', section: 'BODY[]' };
const ANALYSIS = configSchema.parse({}).analysis;
const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-hashing-by-size-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const sha = (content: Buffer) => createHash('sha256').update(content).digest('hex');
const malicious = (content: Buffer, size?: number): VerdictRecord => ({
  sha256: sha(content),
  verdict: 'malicious',
  backend: 'sandbox',
  name: 'Sandbox.Test',
  decidedAt: Date.now(),
  source: 'engine',
  ...(size !== undefined ? { size } : {}),
});
const attachment = (content: Buffer) => message(lines('Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', base64Lines(content), ''));

/** A verdict store, the filter a scan worker reads, and an inspection that asks them as a worker does. */
function setUp(name: string) {
  const store = VerdictStore.open(join(dataDir, name));
  const known = new KnownHashes(store);
  const filter = () => new KnownHashFilter(known.buffer);
  const verdicts = knownVerdicts(ANALYSIS, (sha256) => (filter().mayContain(sha256) ? store.get(sha256) : undefined), false, (size) => filter().mayHoldSize(size));
  const inspect = (content: Buffer, decided: KnownPart[] = []) =>
    sha256Bytes(() => {
      const bytes = attachment(content);
      return inspectMessage(shapeOf(bytes, CONTEXT), CONTEXT, { engines: [], archiveLimits: defaultArchiveLimits }, [], { verdicts, known: new Map(decided.map((part) => [part.sha256, part])) });
    });
  const close = () => {
    known.close();
    store.close();
  };
  return { store, inspect, close };
}

describe('hashing a part only when a stored verdict may be about it', () => {
  it('a clean part of a size no stored verdict has is not hashed; one of a stored size is, and is looked up', async () => {
    const { store, inspect, close } = setUp('sizes');
    try {
      const empty = await inspect(randomBytesFromSeed(3000, 1));
      assert.equal(empty.bytes, 0, 'an empty store: nothing hashed');
      assert.deepEqual(empty.result.parts[0].known, {}, 'no SHA-256 in the report');

      assert.ok(store.put(malicious(randomBytesFromSeed(5000, 2), 5000)));
      const otherSize = await inspect(randomBytesFromSeed(3001, 3));
      assert.equal(otherSize.bytes, 0, 'a part of 3001 bytes: no verdict of that size, not hashed');
      assert.equal(otherSize.result.verdict, 'clean');

      const content = randomBytesFromSeed(5000, 4);
      const sameSize = await inspect(content);
      assert.equal(sameSize.bytes, 5000, 'a part of the stored size is hashed once');
      assert.deepEqual(sameSize.result.parts[0].known, { sha256: sha(content) });
      assert.equal(sameSize.result.verdict, 'clean', 'another part of that size is not blocked');
    } finally {
      close();
    }
  });

  it('a stored blocking verdict with its size blocks the same part in a new message', async () => {
    const { store, inspect, close } = setUp('with-size');
    try {
      const content = randomBytesFromSeed(7000, 5);
      assert.ok(store.put(malicious(content, content.length)));
      const { result } = await inspect(content);
      assert.equal(result.verdict, 'infected');
      assert.deepEqual(result.findings.map((finding) => [finding.engine, finding.name]), [['analysis:sandbox', 'Sandbox.Test']]);
    } finally {
      close();
    }
  });

  it('a stored verdict without a size (an older peer, an older state.db) blocks too, and makes every part hashed', async () => {
    const { store, inspect, close } = setUp('without-size');
    try {
      const content = randomBytesFromSeed(6000, 6);
      assert.ok(store.put(malicious(content)));
      const blocked = await inspect(content);
      assert.equal(blocked.result.verdict, 'infected');
      const other = await inspect(randomBytesFromSeed(1234, 7));
      assert.equal(other.bytes, 1234, 'any size may be the unsized verdict: hashed');
      assert.equal(other.result.verdict, 'clean');
    } finally {
      close();
    }
  });

  it('a decision the pipeline hands in is matched whatever the store holds', async () => {
    const { inspect, close } = setUp('handed-in');
    try {
      const content = randomBytesFromSeed(4000, 8);
      const decided: KnownPart = { sha256: sha(content), verdict: 'malicious', backend: 'manual', name: 'Manual.Block' };
      const { result, bytes } = await inspect(content, [decided]);
      assert.equal(bytes, 4000);
      assert.equal(result.verdict, 'infected');
      assert.deepEqual(result.findings.map((finding) => finding.engine), ['analysis:manual']);
    } finally {
      close();
    }
  });

  it('the store keeps the size: a filter rebuilt from it (a restart) still leaves other sizes unhashed', async () => {
    const first = setUp('reopened');
    const content = randomBytesFromSeed(2500, 9);
    first.store.put(malicious(content, content.length));
    first.close();
    const reopened = setUp('reopened');
    try {
      assert.equal(reopened.store.get(sha(content))?.size, 2500);
      assert.equal((await reopened.inspect(randomBytesFromSeed(2600, 10))).bytes, 0);
      assert.equal((await reopened.inspect(content)).result.verdict, 'infected');
    } finally {
      reopened.close();
    }
  });
});
