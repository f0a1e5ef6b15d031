// The proxy's store of scanned copies shared by the sessions of one account (issue #15).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { AccountScannedCopies, CLEAN_MAX_AGE_MS, MAX_CLEAN_RECORDS } from '../../../src/proxy/account-scanned-copies.js';
import type { ScannedCopy, ScannedCopyKey } from '../../../src/protocol/session-ports.js';
import { waitUntil } from '../../helpers/wait-until.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-copies-test-'));
  dirs.push(dir);
  return join(dir, 'copies');
}

function key(uid: number, mailbox = 'INBOX', uidValidity = '42'): ScannedCopyKey {
  return { mailbox, uidValidity, uid, section: 'BODY[]' };
}

function content(size: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) % 251));
}

async function readAll(copy: ScannedCopy, start = 0, end = copy.size): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of copy.read(start, end)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Files under dir, recursively. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('AccountScannedCopies', () => {
  test('a copy put by one session is taken by another of the same account, byte for byte, and by no other account', async () => {
    const copies = await AccountScannedCopies.open({ maxBytes: 10_000, memoryBytes: 10_000, dir: scratch() });
    const server = copies.forUpstream('imap.example:993');
    const bytes = content(3000, 1);
    await server.offer('alice', key(7), 3000, false)?.put([bytes.subarray(0, 1000), bytes.subarray(1000)]);
    const copy = server.take('alice', key(7));
    assert.ok(copy);
    assert.deepEqual(await readAll(copy), bytes);
    assert.deepEqual(await readAll(copy, 100, 200), bytes.subarray(100, 200));
    assert.equal(server.take('bob', key(7)), undefined, 'another user');
    assert.equal(copies.forUpstream('other.example:993').take('alice', key(7)), undefined, 'another upstream');
    assert.equal(server.take('alice', key(7, 'INBOX', '43')), undefined, 'another UIDVALIDITY');
    assert.equal(server.take('alice', key(8)), undefined, 'another UID');
    assert.deepEqual([copies.stats.hits, copies.stats.misses], [1, 4]);
    copy.release();
    await copies.close();
  });

  test('content that arrives as one buffer is kept as that buffer, not copied', async () => {
    const copies = await AccountScannedCopies.open({ maxBytes: 10_000, memoryBytes: 10_000, dir: scratch() });
    const server = copies.forUpstream('imap.example:993');
    const bytes = content(3000, 1);
    await server.offer('alice', key(7), 3000, false)?.put([bytes]);
    const copy = server.take('alice', key(7));
    assert.ok(copy);
    const [kept] = [...(copy.read(0, 3000) as Iterable<Buffer>)];
    assert.ok(kept.buffer === bytes.buffer && kept.byteOffset === bytes.byteOffset, 'the same memory');
    assert.deepEqual(kept, bytes);
    copy.release();
    await copies.close();
  });

  test('bounded by bytes: least recently used out, counted', async () => {
    const copies = await AccountScannedCopies.open({ maxBytes: 2500, memoryBytes: 2500, dir: scratch() });
    const store = copies.forUpstream('s:1');
    const intakes = [1, 2].map((uid) => store.offer('alice', key(uid), 1000, false));
    for (const [i, intake] of intakes.entries()) await intake?.put([content(1000, i + 1)]);
    store.take('alice', key(1))?.release(); // 1 is now more recent than 2
    await store.offer('alice', key(3), 1000, false)?.put([content(1000, 3)]);
    assert.equal(copies.stats.evicted, 1);
    assert.equal(intakes[1]?.invalidated, false, 'evicted for room: the offering session may keep serving its own copy');
    assert.equal(copies.stats.bytes, 2000);
    assert.equal(store.take('alice', key(2)), undefined, 'the least recently used went');
    assert.ok(store.take('alice', key(1)));
    assert.ok(store.take('alice', key(3)));
    assert.equal(store.offer('alice', key(4), 2501, false), undefined, 'larger than the whole store: not offered');
    await copies.close();
  });

  test('copies beyond the memory budget are spooled to 0600 files in 0700 directories, removed on eviction and at close', async () => {
    const dir = scratch();
    const copies = await AccountScannedCopies.open({ maxBytes: 5000, memoryBytes: 1500, dir });
    const store = copies.forUpstream('s:1');
    await store.offer('alice', key(1), 1000, false)?.put([content(1000, 1)]);
    await store.offer('alice', key(2), 2000, false)?.put([content(2000, 2)]);
    assert.deepEqual([copies.stats.memoryBytes, copies.stats.spooled], [1000, 1]);
    assert.equal((statSync(dir).mode & 0o777).toString(8), '700');
    const [file] = files(dir);
    assert.ok(file, 'the second copy is in a file');
    assert.equal((statSync(file).mode & 0o777).toString(8), '600');
    const copy = store.take('alice', key(2));
    assert.ok(copy);
    assert.deepEqual(await readAll(copy, 500, 1700), content(2000, 2).subarray(500, 1700));

    // Evicted while a session still reads it: gone from the store at once, the file once it is released.
    await store.offer('alice', key(3), 2500, false)?.put([content(2500, 3)]);
    await store.offer('alice', key(4), 2500, false)?.put([content(2500, 4)]);
    assert.equal(store.take('alice', key(2)), undefined);
    assert.equal(copy.kept, false);
    assert.ok(existsSync(file), 'pinned by the reader');
    assert.deepEqual(await readAll(copy), content(2000, 2));
    copy.release();
    await waitUntil(() => !existsSync(file));
    await copies.close();
    assert.equal(existsSync(dir), false, 'removed at close');
  });

  test('stale copies of an earlier run are removed at start', async () => {
    const dir = scratch();
    mkdirSync(join(dir, 'copy-old'), { recursive: true });
    writeFileSync(join(dir, 'copy-old', 'body'), 'stale');
    const copies = await AccountScannedCopies.open({ maxBytes: 1000, memoryBytes: 1000, dir });
    assert.deepEqual(files(dir), []);
    await copies.close();
  });

  test('forget drops one account mailbox (or its other UIDVALIDITY values); clear drops everything; a put begun before either is not kept', async () => {
    const copies = await AccountScannedCopies.open({ maxBytes: 100_000, memoryBytes: 100_000, dir: scratch() });
    const store = copies.forUpstream('s:1');
    const put = (user: string, k: ScannedCopyKey) => store.offer(user, k, 10, false)?.put([content(10, k.uid)]);
    const first = store.offer('alice', key(1), 10, false);
    await first?.put([content(10, 1)]);
    await put('alice', key(2, 'Archive'));
    await put('alice', key(3, 'INBOX', '41'));
    await put('bob', key(1));
    store.forget('alice', 'INBOX', '42');
    assert.equal(store.take('alice', key(3, 'INBOX', '41')), undefined, 'other UIDVALIDITY dropped');
    assert.ok(store.take('alice', key(1)), 'the current UIDVALIDITY stays');
    assert.equal(first?.invalidated, false);
    store.forget('alice', 'INBOX');
    assert.equal(store.take('alice', key(1)), undefined);
    assert.equal(first?.invalidated, true, 'forgotten: the offering session drops its own copy too');
    assert.ok(store.take('alice', key(2, 'Archive')), 'other mailbox stays');
    assert.ok(store.take('bob', key(1)), 'other account stays');

    const selecting = store.offer('alice', key(6), 10, false);
    store.forget('alice', 'Other', '7');
    await selecting?.put([content(10, 6)]);
    assert.ok(store.take('alice', key(6)), 'a SELECT elsewhere (a UIDVALIDITY check) does not void a put under way');
    const expunging = store.offer('alice', key(7), 10, false);
    store.forget('alice', 'Other');
    await expunging?.put([content(10, 7)]);
    assert.equal(store.take('alice', key(7)), undefined, 'an expunge voids the puts under way');

    const late = store.offer('alice', key(5), 10, false);
    copies.clear();
    await late?.put([content(10, 5)]);
    assert.equal(copies.stats.entries, 0, 'cleared, and the put that began before it was not kept');
    assert.equal(late?.invalidated, true);
    assert.equal(store.take('bob', key(1)), undefined);
    await copies.close();
  });

  test('a copy whose scan began before a verdict change (an older epoch) is not taken in', async () => {
    const copies = await AccountScannedCopies.open({ maxBytes: 1000, memoryBytes: 1000, dir: scratch() });
    const store = copies.forUpstream('s:1');
    const scanBegan = store.epoch;
    copies.clear();
    assert.equal(store.offer('alice', key(1), 10, false, scanBegan), undefined);
    await store.offer('alice', key(2), 10, false, store.epoch)?.put([content(10, 2)]);
    assert.equal(copies.stats.entries, 1, 'one whose scan began after it is');
    await copies.close();
  });

  test('a put whose content does not have the announced size is not kept', async () => {
    const copies = await AccountScannedCopies.open({ maxBytes: 100_000, memoryBytes: 10, dir: scratch() });
    const store = copies.forUpstream('s:1');
    await store.offer('alice', key(1), 5, false)?.put([content(4, 1)]);
    await store.offer('alice', key(2), 50, false)?.put([content(49, 1)]);
    assert.equal(copies.stats.entries, 0);
    await copies.close();
  });

  test('new limits from a reload drop every copy and bound the next ones', async () => {
    const copies = await AccountScannedCopies.open({ maxBytes: 100_000, memoryBytes: 100_000, dir: scratch() });
    const store = copies.forUpstream('s:1');
    await store.offer('alice', key(1), 500, false)?.put([content(500, 1)]);
    assert.equal(copies.stats.entries, 1);

    copies.limit({ maxBytes: 1000, memoryBytes: 0 });
    assert.equal(copies.stats.entries, 0, 'copies kept under the old settings are dropped');
    assert.equal(store.offer('alice', key(2), 1001, false), undefined, 'beyond the new maxBytes');
    await store.offer('alice', key(3), 600, false)?.put([content(600, 3)]);
    assert.deepEqual([copies.stats.entries, copies.stats.memoryBytes, copies.stats.spooled], [1, 0, 1], 'spooled: no memory allowed now');

    copies.limit({ maxBytes: 0, memoryBytes: 0 });
    assert.equal(store.offer('alice', key(4), 1, false), undefined, 'maxBytes 0 turns sharing off');
    await copies.close();
  });

  describe('sections found clean', () => {
    test('known to the account at the size it was scanned at, not to another account or upstream', async () => {
      const copies = await AccountScannedCopies.open({ maxBytes: 0, memoryBytes: 0, dir: scratch() });
      const store = copies.forUpstream('s:1');
      store.rememberClean('alice', key(1), 500, store.epoch);
      assert.equal(store.knownClean('alice', key(1), 500), true, 'kept even with copies off (maxBytes 0): a record holds no content');
      assert.equal(store.knownClean('alice', key(1, 'Other'), 500), false);
      assert.equal(store.knownClean('bob', key(1), 500), false);
      assert.equal(copies.forUpstream('s:2').knownClean('alice', key(1), 500), false);
      assert.equal(store.knownClean('alice', { ...key(1), section: 'BODY[TEXT]' }, 500), false);
      assert.equal(store.knownClean('alice', key(1), 501), false, 'another size is other content');
      assert.equal(store.knownClean('alice', key(1), 500), false, '… and the record is gone with it');
      assert.deepEqual([copies.stats.cleanKept, copies.stats.cleanReused, copies.stats.cleanRecords], [1, 1, 0]);
      await copies.close();
    });

    test('a verdict reached in an earlier epoch (a clear or an expunge since the scan began) is not kept', async () => {
      const copies = await AccountScannedCopies.open({ maxBytes: 1000, memoryBytes: 1000, dir: scratch() });
      const store = copies.forUpstream('s:1');
      const before = store.epoch;
      copies.clear();
      store.rememberClean('alice', key(1), 10, before);
      assert.equal(store.knownClean('alice', key(1), 10), false, 'cleared while scanning');
      const beforeExpunge = store.epoch;
      store.forget('alice', 'INBOX');
      store.rememberClean('alice', key(2), 10, beforeExpunge);
      assert.equal(store.knownClean('alice', key(2), 10), false, 'an expunge while scanning');
      store.rememberClean('alice', key(3), 10, store.epoch);
      assert.equal(store.knownClean('alice', key(3), 10), true);
      await copies.close();
    });

    test('an expunge keeps the records (a UID never names other content), a new UIDVALIDITY, a clear and a reload drop them', async () => {
      const copies = await AccountScannedCopies.open({ maxBytes: 1000, memoryBytes: 1000, dir: scratch() });
      const store = copies.forUpstream('s:1');
      const remember = (uid: number, mailbox = 'INBOX', uidValidity = '42') => store.rememberClean('alice', key(uid, mailbox, uidValidity), 10, store.epoch);
      remember(1);
      remember(2, 'Sent');
      store.forget('alice', 'INBOX');
      assert.equal(store.knownClean('alice', key(1), 10), true, 'after an expunge');
      store.forget('alice', 'INBOX', '43');
      assert.equal(store.knownClean('alice', key(1), 10), false, 'after a new UIDVALIDITY');
      assert.equal(store.knownClean('alice', key(2, 'Sent'), 10), true, "another mailbox's stay");
      copies.clear();
      assert.equal(store.knownClean('alice', key(2, 'Sent'), 10), false, 'a verdict changed');
      remember(3);
      copies.limit({ maxBytes: 1000, memoryBytes: 1000 });
      assert.equal(store.knownClean('alice', key(3), 10), false, 'a reload');
      await copies.close();
    });

    test(`each stands for ${CLEAN_MAX_AGE_MS / 60_000} minutes (clamd's signatures change unseen), and at most ${MAX_CLEAN_RECORDS} are kept, least recently used out`, async () => {
      let now = 1_000_000;
      const copies = await AccountScannedCopies.open({ maxBytes: 0, memoryBytes: 0, dir: scratch(), now: () => now });
      const store = copies.forUpstream('s:1');
      store.rememberClean('alice', key(1), 10, store.epoch);
      now += CLEAN_MAX_AGE_MS;
      assert.equal(store.knownClean('alice', key(1), 10), true, 'at the limit');
      now += 1;
      assert.equal(store.knownClean('alice', key(1), 10), false, 'past it');

      for (let uid = 1; uid <= MAX_CLEAN_RECORDS; uid++) store.rememberClean('alice', key(uid), 10, store.epoch);
      assert.equal(store.knownClean('alice', key(1), 10), true, 'uid 1 is now the most recently used');
      store.rememberClean('alice', key(MAX_CLEAN_RECORDS + 1), 10, store.epoch);
      assert.equal(copies.stats.cleanRecords, MAX_CLEAN_RECORDS);
      assert.equal(store.knownClean('alice', key(2), 10), false, 'the least recently used went');
      assert.equal(store.knownClean('alice', key(1), 10), true);
      await copies.close();
    });

    test('rules that test the listener, application or server address: nothing is shared between sessions', async () => {
      const copies = await AccountScannedCopies.open({ maxBytes: 1000, memoryBytes: 1000, dir: scratch(), sessionFactsRead: true });
      const store = copies.forUpstream('s:1');
      store.rememberClean('alice', key(1), 10, store.epoch);
      assert.equal(store.knownClean('alice', key(1), 10), false);
      assert.equal(store.offer('alice', key(1), 10, false), undefined, 'no copy either');
      copies.limit({ maxBytes: 1000, memoryBytes: 1000, sessionFactsRead: false });
      store.rememberClean('alice', key(1), 10, store.epoch);
      assert.equal(store.knownClean('alice', key(1), 10), true, 'shared again once the rules no longer read them');
      await copies.close();
    });
  });
});
