// A section found clean is not scanned again when it is fetched whole again (issue #15): the engine
// remembers it in the account's store (the proxy's AccountScannedCopies, real here) and passes the
// server's literal on as it comes. Counted by the bodies the engine hands to the scanner.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AccountScannedCopies } from '../../../src/proxy/account-scanned-copies.js';
import { bytewise, EngineDriver, MARKER, randomSplits, selectedSession, type Chunker, type DriverOptions } from './harness.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function openStore(options: { sessionFactsRead?: boolean } = {}): Promise<AccountScannedCopies> {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-known-clean-'));
  dirs.push(dir);
  return AccountScannedCopies.open({ maxBytes: 1 << 20, memoryBytes: 1 << 20, dir: join(dir, 'copies'), ...options });
}

const CLEAN = 'Subject: hello\r\n\r\nnothing to see here\r\n';
const INFECTED = `Subject: hello\r\n\r\n${MARKER}\r\n`;

function session(copies: AccountScannedCopies, options: DriverOptions = {}, mailbox = 'INBOX', uidValidity = '42'): EngineDriver {
  return selectedSession({ cleanVerdicts: true, ...options, engine: { scannedCopies: copies.forUpstream('imap.example:993'), ...options.engine } }, mailbox, uidValidity);
}

/** `UID FETCH uid BODY.PEEK[]` answered with `message`; returns what the client got. */
function fetchWhole(d: EngineDriver, uid: number, message: string, tag = `f${uid}`, chunker?: Chunker): string {
  d.client(`${tag} UID FETCH ${uid} (BODY.PEEK[])\r\n`);
  d.takeServer();
  d.server(`* 1 FETCH (UID ${uid} BODY[] {${message.length}}\r\n${message})\r\n${tag} OK done\r\n`, chunker);
  return d.takeClient();
}

function answer(uid: number, message: string, tag: string): string {
  return `* 1 FETCH (UID ${uid} BODY[] {${message.length}}\r\n${message})\r\n${tag} OK done\r\n`;
}

describe('a section found clean is not scanned again', () => {
  for (const [label, chunker] of [
    ['one write', undefined],
    ['byte by byte', bytewise],
    ['random splits', randomSplits(7)],
  ] as const) {
    test(`fetched whole again by the same session and by another of the account (${label}), byte for byte`, async () => {
      const copies = await openStore();
      const a = session(copies);
      const first = fetchWhole(a, 9, CLEAN);
      assert.equal(first, answer(9, CLEAN, 'f9'));
      assert.equal(a.bodyList.length, 1, 'scanned the first time');
      assert.equal(copies.stats.cleanKept, 1);

      assert.equal(fetchWhole(a, 9, CLEAN, 'again', chunker), answer(9, CLEAN, 'again'));
      assert.equal(a.bodyList.length, 1, 'not scanned again');

      const b = session(copies);
      assert.equal(fetchWhole(b, 9, CLEAN, 'b1', chunker), answer(9, CLEAN, 'b1'));
      assert.equal(b.bodyList.length, 0, 'another session of the account does not scan it either');
      assert.equal(copies.stats.cleanReused, 2);
      assert.deepEqual([a.engine.bodiesKnownClean, b.engine.bodiesKnownClean], [1, 1], 'each session counts its own (its "session closed" line says so)');
      await copies.close();
    });
  }

  test('a changed body, another size, another user, another section or mailbox is scanned', async () => {
    const copies = await openStore();
    const a = session(copies);
    fetchWhole(a, 1, INFECTED);
    fetchWhole(a, 1, INFECTED, 'again');
    assert.equal(a.bodyList.length, 2, 'a replaced body is not remembered');

    fetchWhole(a, 2, CLEAN);
    fetchWhole(a, 2, `${CLEAN}x`, 'bigger');
    assert.equal(a.bodyList.length, 4, 'the server sent another size: scanned');

    a.client('t1 UID FETCH 2 (BODY.PEEK[TEXT])\r\n');
    a.takeServer();
    a.server(`* 1 FETCH (UID 2 BODY[TEXT] {4}\r\nabcd)\r\nt1 OK done\r\n`);
    assert.equal(a.bodyList.length, 5, 'BODY[TEXT] is its own section');

    const bob = new EngineDriver({ cleanVerdicts: true, engine: { scannedCopies: copies.forUpstream('imap.example:993') } });
    bob.server('* OK ready\r\n').client('a1 LOGIN bob secret\r\n').server('a1 OK in\r\n');
    bob.client('a2 SELECT INBOX\r\n').server('* OK [UIDVALIDITY 42] ok\r\na2 OK selected\r\n');
    bob.takeClient();
    bob.takeServer();
    fetchWhole(bob, 3, CLEAN);
    fetchWhole(a, 3, CLEAN);
    assert.equal(a.bodyList.length, 6, "bob's verdict does not count for alice");

    const other = session(copies, {}, 'Archive');
    fetchWhole(other, 2, CLEAN);
    assert.equal(other.bodyList.length, 1, 'UID 2 of another mailbox is another message');
    await copies.close();
  });

  test('a verdict change while the scan runs, a clear later, or a new UIDVALIDITY: scanned again', async () => {
    const copies = await openStore();
    const a = session(copies, { autoScan: false });
    a.client('f1 UID FETCH 4 (BODY.PEEK[])\r\n');
    a.takeServer();
    a.server(answer(4, CLEAN, 'f1'));
    copies.clear();
    a.scan();
    assert.equal(a.takeClient(), answer(4, CLEAN, 'f1'));
    assert.equal(copies.stats.cleanKept, 0, 'the verdict predates the change');

    const b = session(copies);
    fetchWhole(b, 5, CLEAN);
    copies.clear();
    fetchWhole(b, 5, CLEAN, 'again');
    assert.equal(b.bodyList.length, 2);

    fetchWhole(b, 6, CLEAN);
    b.server('* OK [UIDVALIDITY 43] renumbered\r\n');
    b.takeClient();
    fetchWhole(b, 6, CLEAN, 'again6');
    assert.equal(b.bodyList.length, 4, 'UID 6 under UIDVALIDITY 43 is not the message found clean');
    await copies.close();
  });

  test('a copy for partial fetches scanned across a verdict change is not shared with the account either', async () => {
    const copies = await openStore();
    const a = session(copies, { autoScan: false });
    a.client('p1 UID FETCH 11 (BODY.PEEK[]<0.10>)\r\n');
    assert.match(a.takeServer(), /BODY\.PEEK\[\]/, 'fetched whole, for the scan');
    a.server(answer(11, CLEAN, 'p1'));
    copies.clear();
    a.scan();
    assert.match(a.takeClient(), /BODY\[\]<0> \{10\}/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([copies.stats.kept, copies.stats.cleanKept], [0, 0]);
    await copies.close();
  });

  test('an expunge keeps them: the other UIDs still name the same messages', async () => {
    const copies = await openStore();
    const a = session(copies);
    fetchWhole(a, 7, CLEAN);
    a.server('* 2 EXPUNGE\r\n');
    a.takeClient();
    fetchWhole(a, 7, CLEAN, 'again');
    assert.equal(a.bodyList.length, 1);
    await copies.close();
  });

  test('a SELECT pipelined behind the FETCH completes before the verdict: not remembered for the newly selected mailbox', async () => {
    const copies = await openStore();
    const a = session(copies, { autoScan: false });
    a.client('f1 UID FETCH 8 (BODY.PEEK[])\r\nf2 SELECT Archive\r\n');
    a.takeServer();
    a.server(answer(8, CLEAN, 'f1'));
    a.server('* OK [UIDVALIDITY 77] ok\r\nf2 OK selected\r\n');
    a.scan();
    a.takeClient();
    fetchWhole(a, 8, CLEAN, 'archive8');
    assert.equal(a.bodyList.length, 2, 'UID 8 of Archive is scanned');
    a.scan();
    // While the mailbox changes, the engine keys nothing: the INBOX message is not remembered either.
    a.client('s3 SELECT INBOX\r\n').server('* OK [UIDVALIDITY 42] ok\r\ns3 OK selected\r\n');
    a.takeClient();
    a.takeServer();
    fetchWhole(a, 8, CLEAN, 'inbox8');
    assert.equal(a.bodyList.length, 3);
    assert.equal(copies.stats.cleanKept, 1, 'only the Archive fetch, answered with nothing else under way');
    await copies.close();
  });

  test('rules that read per-session facts: every fetch is scanned', async () => {
    const copies = await openStore({ sessionFactsRead: true });
    const a = session(copies);
    fetchWhole(a, 9, CLEAN);
    fetchWhole(a, 9, CLEAN, 'again');
    assert.equal(a.bodyList.length, 2);
    await copies.close();
  });
});
