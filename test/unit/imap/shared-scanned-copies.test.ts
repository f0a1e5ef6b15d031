// Scanned copies shared by the sessions of one account (issue #15): the engine offers what it kept
// for partial fetches to the account's store and asks it before fetching a section again. The store
// here is an in-memory ScannedCopyStore that counts what the engines ask of it.
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { ScannedCopy, ScannedCopyIntake, ScannedCopyKey, ScannedCopyStore } from '../../../src/protocol/session-ports.js';
import { bigMessage, EngineDriver, MARKER, markerScanner, SAME_LENGTH, selectedSession } from './harness.js';

interface Kept {
  size: number;
  literal8: boolean;
  content: Buffer;
  forgotten?: boolean;
}

class CountingCopyStore implements ScannedCopyStore {
  readonly copies = new Map<string, Kept>();
  takes = 0;
  hits = 0;
  offers = 0;
  puts = 0;
  pinned = 0;
  readonly forgets: Array<{ user: string; mailbox: string; keep?: string }> = [];

  take(user: string, key: ScannedCopyKey): ScannedCopy | undefined {
    this.takes++;
    const id = copyId(user, key);
    const kept = this.copies.get(id);
    if (!kept) return undefined;
    this.hits++;
    this.pinned++;
    let released = false;
    const copies = this.copies;
    return {
      size: kept.size,
      literal8: kept.literal8,
      get kept() {
        return copies.get(id) === kept;
      },
      read: (start, end) => [kept.content.subarray(start, end)],
      release: () => {
        if (released) return;
        released = true;
        this.pinned--;
      },
    };
  }

  offer(user: string, key: ScannedCopyKey, size: number, literal8: boolean): ScannedCopyIntake {
    this.offers++;
    let kept: Kept | undefined;
    return {
      put: async (content) => {
        const chunks: Buffer[] = [];
        for await (const chunk of content) chunks.push(Buffer.from(chunk));
        this.puts++;
        kept = { size, literal8, content: Buffer.concat(chunks) };
        this.copies.set(copyId(user, key), kept);
      },
      get invalidated() {
        return kept?.forgotten === true;
      },
    };
  }

  readonly epoch = 0;
  rememberClean(): void {}
  knownClean(): boolean {
    return false;
  }

  forget(user: string, mailbox: string, keep?: string): void {
    this.forgets.push(keep === undefined ? { user, mailbox } : { user, mailbox, keep });
    for (const id of [...this.copies.keys()]) {
      const [u, m, v] = JSON.parse(id) as [string, string, string];
      if (u !== user || m !== mailbox || v === keep) continue;
      const kept = this.copies.get(id);
      if (kept) kept.forgotten = true;
      this.copies.delete(id);
    }
  }
}

function copyId(user: string, key: ScannedCopyKey): string {
  return JSON.stringify([user, key.mailbox, key.uidValidity, key.uid, key.section]);
}

const CHUNK = 65536;

/** Reads UID `uid` Thunderbird-style; `serve` answers each upstream command. Returns the slices and the upstream commands. */
function chunkedRead(d: EngineDriver, uid: number, serve: (sent: string, tag: string) => void): { content: string; sent: string[] } {
  const parts: string[] = [];
  const sent: string[] = [];
  for (let origin = 0, n = 0; ; origin += CHUNK, n++) {
    const tag = `r${uid}x${n}`;
    d.client(`${tag} UID FETCH ${uid} (UID RFC822.SIZE FLAGS BODY.PEEK[]<${origin}.${CHUNK}>)\r\n`);
    const command = d.takeServer();
    sent.push(command);
    serve(command, tag);
    const text = d.takeClient();
    const size = Number(/RFC822\.SIZE (\d+)/.exec(text)?.[1]);
    const m = /BODY\[\]<(\d+)> \{(\d+)\}\r\n/.exec(text);
    assert.ok(m, `chunk ${origin}: ${text.slice(0, 200)}`);
    assert.equal(Number(m[1]), origin);
    const start = m.index + m[0].length;
    parts.push(text.slice(start, start + Number(m[2])));
    if (origin + CHUNK >= size) break;
  }
  return { content: parts.join(''), sent };
}

/** A Dovecot-like server for UID 9 at sequence 3: the whole body when asked for, otherwise the other items. */
function server(d: EngineDriver, msg: string) {
  return (command: string, tag: string): void => {
    const items = `UID 9 RFC822.SIZE ${msg.length} FLAGS ()`;
    if (command.includes('BODY.PEEK[]')) d.server(`* 3 FETCH (${items} BODY[] {${msg.length}}\r\n${msg})\r\n${tag} OK done\r\n`);
    else d.server(`* 3 FETCH (${items})\r\n${tag} OK done\r\n`);
  };
}

describe('scanned copies shared by the sessions of one account', () => {
  for (const [label, replacement] of [
    ['same size', SAME_LENGTH],
    ['shorter', '[x]'],
  ] as const) {
    test(`a second session reads the message without fetching its body from the server (${label} replacement)`, async () => {
      const store = new CountingCopyStore();
      const msg = bigMessage(150_000, [100, 70_000]);
      const scanned = msg.split(MARKER).join(replacement);
      const a = selectedSession({ engine: { scannedCopies: store }, scanner: markerScanner(replacement) });
      const first = chunkedRead(a, 9, server(a, msg));
      assert.equal(first.content, scanned);
      assert.equal(a.bodyList.length, 1, 'session A fetched and scanned it once');
      await nextTurn();
      assert.deepEqual([store.offers, store.puts, store.copies.size], [1, 1, 1], 'offered once the verdict was in');

      const b = selectedSession({ engine: { scannedCopies: store }, scanner: markerScanner(replacement) });
      const second = chunkedRead(b, 9, server(b, msg));
      assert.equal(second.content, scanned, 'byte-identical to what session A delivered');
      for (const command of second.sent) assert.doesNotMatch(command, /BODY/, 'no body item goes upstream');
      assert.equal(b.bodyList.filter((body) => !body.adopted).length, 0, 'nothing scanned again');
      assert.equal(store.hits, 1, 'later chunks come from the copy session B already holds');
      assert.equal(store.offers, 1, 'an adopted copy is not offered back');
      b.end('client');
      await nextTurn();
      assert.equal(store.pinned, 0, 'released when the session ends');
    });
  }

  test('a whole BODY.PEEK[] of the message by another session is answered from the copy; a fetch that sets \\Seen still reaches the server', async () => {
    const store = new CountingCopyStore();
    const msg = bigMessage(100_000, [100, 70_000]);
    const scanned = msg.split(MARKER).join('[x]');
    const a = selectedSession({ engine: { scannedCopies: store }, scanner: markerScanner('[x]') });
    chunkedRead(a, 9, server(a, msg));
    await nextTurn();

    const b = selectedSession({ engine: { scannedCopies: store }, scanner: markerScanner('[x]') });
    b.client('b3 UID FETCH 9 (UID RFC822.SIZE BODY.PEEK[])\r\n');
    assert.equal(b.takeServer(), 'b3 UID FETCH 9 (UID RFC822.SIZE)\r\n');
    b.server(`* 3 FETCH (UID 9 RFC822.SIZE ${msg.length})\r\nb3 OK done\r\n`);
    assert.equal(b.takeClient(), `* 3 FETCH (UID 9 RFC822.SIZE ${scanned.length} BODY[] {${scanned.length}}\r\n${scanned})\r\nb3 OK done\r\n`);

    b.client('b4 UID FETCH 9 BODY[]\r\n');
    assert.equal(b.takeServer(), 'b4 UID FETCH 9 BODY[]\r\n', 'not PEEK: fetched and scanned as usual');
    b.client('b5 FETCH 3 BODY.PEEK[]\r\n');
    assert.match(b.takeServer(), /^b5 FETCH 3 \(.*BODY\.PEEK\[\] UID\)\r\n$/, 'by sequence number: not known to be the same message');
    assert.equal(store.hits, 1);
  });

  test('a different user, mailbox or UIDVALIDITY does not hit the copy', async () => {
    const store = new CountingCopyStore();
    const msg = bigMessage(1000, [10]);
    const a = selectedSession({ engine: { scannedCopies: store } });
    chunkedRead(a, 9, server(a, msg));
    await nextTurn();
    assert.equal(store.copies.size, 1);

    const other = new EngineDriver({ engine: { scannedCopies: store } });
    other.server('* OK ready\r\n').client('b1 LOGIN bob secret\r\n').server('b1 OK in\r\n');
    other.client('b2 SELECT INBOX\r\n').server('* OK [UIDVALIDITY 42] ok\r\nb2 OK [READ-WRITE] done\r\n');
    other.takeServer();
    other.takeClient();
    other.client('b3 UID FETCH 9 (BODY.PEEK[]<0.100>)\r\n');
    assert.equal(other.takeServer(), 'b3 UID FETCH 9 (BODY.PEEK[])\r\n', 'bob fetches from the server');

    const archive = selectedSession({ engine: { scannedCopies: store } }, 'Archive');
    archive.client('c3 UID FETCH 9 (BODY.PEEK[]<0.100>)\r\n');
    assert.equal(archive.takeServer(), 'c3 UID FETCH 9 (BODY.PEEK[])\r\n', 'another mailbox');

    const renumbered = selectedSession({ engine: { scannedCopies: store } }, 'INBOX', '43');
    assert.equal(store.copies.size, 0, 'a session that sees a new UIDVALIDITY drops the copies of the old one');
    renumbered.client('d3 UID FETCH 9 (BODY.PEEK[]<0.100>)\r\n');
    assert.equal(renumbered.takeServer(), 'd3 UID FETCH 9 (BODY.PEEK[])\r\n');
    assert.equal(store.hits, 0);
  });

  for (const expunge of ['* 2 EXPUNGE\r\n', '* VANISHED 9\r\n']) {
    test(`${expunge.trim()} seen by one session drops the mailbox's copies for all sessions`, async () => {
      const store = new CountingCopyStore();
      const msg = bigMessage(1000, [10]);
      const a = selectedSession({ engine: { scannedCopies: store } });
      chunkedRead(a, 9, server(a, msg));
      await nextTurn();
      const b = selectedSession({ engine: { scannedCopies: store } });
      b.client('b3 UID FETCH 9 (BODY.PEEK[]<0.100>)\r\n');
      assert.equal(b.takeServer(), 'b3 UID FETCH 9 (UID)\r\n', 'served from the copy');
      b.server(`* 3 FETCH (UID 9)\r\nb3 OK done\r\n`);

      a.server(expunge);
      assert.deepEqual(store.forgets.at(-1), { user: 'alice', mailbox: 'INBOX' });
      assert.equal(store.copies.size, 0);
      b.client('b4 UID FETCH 9 (BODY.PEEK[]<100.100>)\r\n');
      assert.equal(b.takeServer(), 'b4 UID FETCH 9 (BODY.PEEK[])\r\n', 'the copy B took is not served after the store dropped it');
      const c = selectedSession({ engine: { scannedCopies: store } });
      c.client('c3 UID FETCH 9 (BODY.PEEK[]<0.100>)\r\n');
      assert.equal(c.takeServer(), 'c3 UID FETCH 9 (BODY.PEEK[])\r\n');
    });
  }

  test('the session that kept the copy stops serving its own copy once the store forgot it', async () => {
    const store = new CountingCopyStore();
    const msg = bigMessage(1000, [10]);
    const a = selectedSession({ engine: { scannedCopies: store } });
    chunkedRead(a, 9, server(a, msg));
    await nextTurn();
    a.client('a3 UID FETCH 9 (BODY.PEEK[]<0.100>)\r\n');
    assert.equal(a.takeServer(), 'a3 UID FETCH 9 (UID)\r\n', 'its own copy');
    a.server('* 3 FETCH (UID 9)\r\na3 OK done\r\n');
    // Another session of the account saw the message go (or a verdict changed: the proxy clears the store).
    store.forget('alice', 'INBOX');
    a.client('a4 UID FETCH 9 (BODY.PEEK[]<0.100>)\r\n');
    assert.equal(a.takeServer(), 'a4 UID FETCH 9 (BODY.PEEK[])\r\n');
  });

  test('nothing is offered or taken before a user has logged in', () => {
    const store = new CountingCopyStore();
    const d = selectedSession({ engine: { scannedCopies: store } });
    d.client('a3 UID FETCH 9 (BODY.PEEK[]<0.100>)\r\n');
    assert.equal(store.takes, 1, 'asked once: alice is logged in');
    const anonymous = new EngineDriver({ engine: { scannedCopies: store } });
    anonymous.server('* PREAUTH ready\r\n').client('x1 SELECT INBOX\r\n').server('* OK [UIDVALIDITY 42] ok\r\nx1 OK done\r\n');
    anonymous.client('x2 UID FETCH 9 (BODY.PEEK[]<0.100>)\r\n');
    assert.equal(store.takes, 1, 'no user, no lookup');
  });
});
