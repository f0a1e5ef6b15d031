// Partial fetches are answered from a scanned copy of the whole section.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MARKER, SAME_LENGTH, bigMessage, markerScanner, selectedSession, type EngineDriver } from './harness.js';

function fetchWhole(d: EngineDriver, seq: number, uid: number, msg: string, tag: string, items = `UID ${uid} RFC822.SIZE ${msg.length} FLAGS ()`): void {
  d.server(`* ${seq} FETCH (${items} BODY[] {${msg.length}}\r\n${msg})\r\n${tag} OK done\r\n`);
}

/** Cuts `BODY[]<o> {n}` literals out of a client stream, in order. */
function slices(text: string, name = 'BODY\\[\\]'): Array<{ origin: number; content: string }> {
  const out: Array<{ origin: number; content: string }> = [];
  const re = new RegExp(`${name}<(\\d+)> \\{(\\d+)\\}\\r\\n`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index + m[0].length;
    out.push({ origin: Number(m[1]), content: text.slice(start, start + Number(m[2])) });
  }
  return out;
}

describe('partial fetch of a section not scanned yet', () => {
  test('UID FETCH: the range is dropped upstream (PEEK kept), the client gets the slice of the scanned copy', () => {
    const d = selectedSession();
    const msg = bigMessage(300, [5]);
    d.client('a3 UID FETCH 7 (UID RFC822.SIZE BODY.PEEK[]<0.100>)\r\n');
    assert.equal(d.takeServer(), 'a3 UID FETCH 7 (UID RFC822.SIZE BODY.PEEK[])\r\n');
    d.server(`* 1 FETCH (UID 7 RFC822.SIZE 300 BODY[] {300}\r\n${msg})\r\na3 OK done\r\n`);
    const scanned = msg.replace(MARKER, SAME_LENGTH);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 RFC822.SIZE 300 BODY[]<0> {100}\r\n${scanned.slice(0, 100)})\r\na3 OK done\r\n`);
    assert.equal(d.bodyList[0].released, false, 'kept for later slices');
  });

  test('without PEEK the command stays without PEEK', () => {
    const d = selectedSession();
    d.client('a3 UID FETCH 7 BODY[]<0.100>\r\n');
    assert.equal(d.takeServer(), 'a3 UID FETCH 7 BODY[]\r\n');
    const msg = bigMessage(150, [120]);
    d.server(`* 1 FETCH (UID 7 FLAGS (\\Seen) BODY[] {150}\r\n${msg})\r\na3 OK done\r\n`);
    d.takeClient();
    // A later non-PEEK chunk still goes to the server (it sets \Seen there); its content comes from the scanned copy.
    d.client('a4 UID FETCH 7 BODY[]<100.50>\r\n');
    assert.equal(d.takeServer(), 'a4 UID FETCH 7 BODY[]<100.50>\r\n');
    d.server(`* 1 FETCH (UID 7 BODY[]<100> {50}\r\n${msg.slice(100)})\r\na4 OK done\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 BODY[]<100> {50}\r\n${msg.replace(MARKER, SAME_LENGTH).slice(100)})\r\na4 OK done\r\n`);
  });

  test('non-UID FETCH: UID is added upstream and removed from the answer', () => {
    const d = selectedSession();
    const msg = bigMessage(120, [30]);
    d.client('a3 FETCH 2 (FLAGS BODY.PEEK[]<10.20>)\r\n');
    assert.equal(d.takeServer(), 'a3 FETCH 2 (FLAGS BODY.PEEK[] UID)\r\n');
    d.server(`* 2 FETCH (FLAGS (\\Seen) UID 8 BODY[] {120}\r\n${msg})\r\na3 OK done\r\n`);
    const scanned = msg.replace(MARKER, SAME_LENGTH);
    assert.equal(d.takeClient(), `* 2 FETCH (FLAGS (\\Seen) BODY[]<10> {20}\r\n${scanned.slice(10, 30)})\r\na3 OK done\r\n`);
    assert.equal(d.bodyList[0].context.uid, 8);
  });

  test('non-UID FETCH of a single item gains parentheses; UID first in the answer is removed too', () => {
    const d = selectedSession();
    const msg = bigMessage(50, []);
    d.client('a3 FETCH 2 BODY.PEEK[]<0.10>\r\n');
    assert.equal(d.takeServer(), 'a3 FETCH 2 (BODY.PEEK[] UID)\r\n');
    d.server(`* 2 FETCH (UID 8 BODY[] {50}\r\n${msg})\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), `* 2 FETCH (BODY[]<0> {10}\r\n${msg.slice(0, 10)})\r\na3 OK done\r\n`);
  });

  test('UID asked for by the client is neither added nor removed', () => {
    const d = selectedSession();
    const msg = bigMessage(50, []);
    d.client('a3 FETCH 2 (UID BODY.PEEK[]<0.10>)\r\n');
    assert.equal(d.takeServer(), 'a3 FETCH 2 (UID BODY.PEEK[])\r\n');
    d.server(`* 2 FETCH (UID 8 BODY[] {50}\r\n${msg})\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), `* 2 FETCH (UID 8 BODY[]<0> {10}\r\n${msg.slice(0, 10)})\r\na3 OK done\r\n`);
  });

  test('an unsolicited FETCH carrying UID during a rewritten command keeps its UID', () => {
    const d = selectedSession();
    const msg = bigMessage(50, []);
    d.client('a3 FETCH 2 (BODY.PEEK[]<0.10>)\r\n');
    d.server(`* 1 FETCH (UID 4 FLAGS (\\Seen))\r\n* 2 FETCH (UID 8 BODY[] {50}\r\n${msg})\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 4 FLAGS (\\Seen))\r\n* 2 FETCH (BODY[]<0> {10}\r\n${msg.slice(0, 10)})\r\na3 OK done\r\n`);
  });

  test('origin at or past the end gives an empty literal (RFC 3501 §6.4.5)', () => {
    const d = selectedSession();
    const msg = bigMessage(50, []);
    d.client('a3 UID FETCH 7 (BODY.PEEK[]<50.10>)\r\n');
    d.server(`* 1 FETCH (UID 7 BODY[] {50}\r\n${msg})\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), '* 1 FETCH (UID 7 BODY[]<50> {0}\r\n)\r\na3 OK done\r\n');
    d.takeServer();
    d.client('a4 UID FETCH 7 (BODY.PEEK[]<1000.10>)\r\n');
    assert.equal(d.takeServer(), 'a4 UID FETCH 7 (UID)\r\n', 'served from the scanned copy: only the UID is asked');
    d.server('* 1 FETCH (UID 7)\r\na4 OK done\r\n');
    assert.equal(d.takeClient(), '* 1 FETCH (UID 7 BODY[]<1000> {0}\r\n)\r\na4 OK done\r\n');
  });

  test('a range of messages is handled per answer', () => {
    const d = selectedSession();
    const msgs = [bigMessage(60, [0]), bigMessage(70, []), bigMessage(80, [40])];
    d.client('a3 FETCH 1:* (BODY.PEEK[TEXT]<0.30>)\r\n');
    assert.equal(d.takeServer(), 'a3 FETCH 1:* (BODY.PEEK[HEADER] BODY.PEEK[TEXT] UID)\r\n');
    msgs.forEach((m, i) => d.server(`* ${i + 1} FETCH (UID ${i + 11} BODY[TEXT] {${m.length}}\r\n${m})\r\n`));
    d.server('a3 OK done\r\n');
    const expected = msgs.map((m, i) => `* ${i + 1} FETCH (BODY[TEXT]<0> {30}\r\n${m.replace(MARKER, SAME_LENGTH).slice(0, 30)})\r\n`).join('');
    assert.equal(d.takeClient(), `${expected}a3 OK done\r\n`);
  });

  test('parts and BINARY: BODY[2]<…> and BINARY[1]<…> (literal8 kept)', () => {
    const d = selectedSession();
    const part = bigMessage(90, [10]);
    d.client('a3 UID FETCH 7 (BODY.PEEK[2]<0.40> BINARY.PEEK[1]<5.5>)\r\n');
    assert.equal(d.takeServer(), 'a3 UID FETCH 7 (BODY.PEEK[HEADER] BODY.PEEK[2.MIME] BODY.PEEK[1.MIME] BODY.PEEK[2] BINARY.PEEK[1])\r\n');
    d.server(`* 1 FETCH (UID 7 BODY[2] {90}\r\n${part} BINARY[1] ~{12}\r\nab\u0000defghijkl)\r\na3 OK done\r\n`);
    assert.equal(
      d.takeClient(),
      `* 1 FETCH (UID 7 BODY[2]<0> {40}\r\n${part.replace(MARKER, SAME_LENGTH).slice(0, 40)} BINARY[1]<5> ~{5}\r\nfghij)\r\na3 OK done\r\n`,
    );
  });

  test('UID after the body: the scanned copy is still cached under the right UID', () => {
    const d = selectedSession();
    const msg = bigMessage(100, []);
    d.client('a3 FETCH 2 (BODY.PEEK[]<0.50>)\r\n');
    d.server(`* 2 FETCH (BODY[] {100}\r\n${msg} UID 8)\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), `* 2 FETCH (BODY[]<0> {50}\r\n${msg.slice(0, 50)})\r\na3 OK done\r\n`);
    d.takeServer();
    d.client('a4 UID FETCH 8 (BODY.PEEK[]<50.50>)\r\n');
    assert.equal(d.takeServer(), 'a4 UID FETCH 8 (UID)\r\n', 'served from the cache: only the UID is asked');
    d.server('* 2 FETCH (UID 8)\r\na4 OK done\r\n');
    assert.equal(d.takeClient(), `* 2 FETCH (UID 8 BODY[]<50> {50}\r\n${msg.slice(50)})\r\na4 OK done\r\n`);
  });

  test('too large to scan: the slice streams from the raw literal, reported', () => {
    const d = selectedSession({ engine: { maxScanBytes: 64 } });
    const msg = bigMessage(200, [100]);
    d.client('a3 UID FETCH 7 (BODY.PEEK[]<90.40>)\r\n');
    d.server(`* 1 FETCH (UID 7 BODY[] {200}\r\n${msg})\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 BODY[]<90> {40}\r\n${msg.slice(90, 130)})\r\na3 OK done\r\n`);
    assert.equal(d.bodies.size, 0);
    assert.equal(d.takeEvents().find((e) => e.type === 'body-unscanned')?.reason, 'too-large');
  });
});

describe('Thunderbird chunked download', () => {
  for (const [label, replacement] of [
    ['same-length replacement', SAME_LENGTH],
    ['shorter replacement', '[x]'],
    ['longer replacement', `[${'removed '.repeat(10)}]`],
  ] as const) {
    test(`chunks concatenate to exactly the scanned message (${label})`, () => {
      const d = selectedSession({ scanner: markerScanner(replacement) });
      const msg = bigMessage(150_000, [100, 65_530, 100_000, 149_000]);
      const scanned = msg.split(MARKER).join(replacement);
      const received: string[] = [];
      let origin = 0;
      for (let n = 0; ; n++) {
        const tag = `t${n}`;
        d.client(`${tag} UID FETCH 9 (UID RFC822.SIZE FLAGS BODY.PEEK[]<${origin}.65536>)\r\n`);
        const sent = d.takeServer();
        if (n === 0) {
          assert.equal(sent, `${tag} UID FETCH 9 (UID RFC822.SIZE FLAGS BODY.PEEK[])\r\n`);
          fetchWhole(d, 3, 9, msg, tag, 'UID 9 RFC822.SIZE 150000 FLAGS ()');
        } else {
          assert.equal(sent, `${tag} UID FETCH 9 (UID RFC822.SIZE FLAGS)\r\n`, 'later chunks come from the scanned copy, not from the server');
          d.server(`* 3 FETCH (UID 9 RFC822.SIZE 150000 FLAGS ())\r\n${tag} OK done\r\n`);
        }
        const text = d.takeClient();
        // Thunderbird decides the last chunk from RFC822.SIZE, which tells the scanned size.
        const size = Number(/RFC822\.SIZE (\d+)/.exec(text)?.[1]);
        assert.equal(size, scanned.length);
        const [slice] = slices(text);
        assert.equal(slice.origin, origin);
        received.push(slice.content);
        origin += 65536;
        if (origin >= size) break;
      }
      assert.equal(received.join(''), scanned);
      assert.equal(d.bodies.size, 1, 'scanned once');
    });
  }

  test('the same pattern on a part (BODY.PEEK[2]<…>) is cached separately from the message', () => {
    const d = selectedSession();
    const part = bigMessage(3000, [2000]);
    d.client('a3 UID FETCH 9 (BODY.PEEK[2]<0.2048>)\r\n');
    d.server(`* 3 FETCH (UID 9 BODY[2] {3000}\r\n${part})\r\na3 OK done\r\n`);
    d.client('a4 UID FETCH 9 (BODY.PEEK[2]<2048.2048>)\r\n');
    assert.equal(d.takeServer(), 'a3 UID FETCH 9 (BODY.PEEK[HEADER] BODY.PEEK[2.MIME] BODY.PEEK[2])\r\na4 UID FETCH 9 (UID)\r\n');
    d.server('* 3 FETCH (UID 9)\r\na4 OK done\r\n');
    const chunks = slices(d.takeClient(), 'BODY\\[2\\]');
    assert.equal(chunks.map((c) => c.content).join(''), part.replace(MARKER, SAME_LENGTH));
    d.client('a5 UID FETCH 9 (BODY.PEEK[]<0.2048>)\r\n');
    assert.equal(d.takeServer(), 'a5 UID FETCH 9 (BODY.PEEK[])\r\n', 'BODY[] is another section');
  });
});

describe('the partial-fetch cache', () => {
  test('least recently used bodies are released once the cache is over its byte budget', () => {
    const d = selectedSession({ engine: { partialCacheBytes: 250 } });
    for (const uid of [1, 2, 3]) {
      d.client(`p${uid} UID FETCH ${uid} (BODY.PEEK[]<0.10>)\r\n`);
      fetchWhole(d, uid, uid, bigMessage(100, []), `p${uid}`, `UID ${uid}`);
    }
    const [first, second, third] = d.bodyList;
    assert.equal(first.released, true, 'evicted: 300 bytes > 250');
    assert.equal(second.released, false);
    assert.equal(third.released, false);
    d.client('p4 UID FETCH 1 (BODY.PEEK[]<10.10>)\r\n');
    assert.equal(d.takeServer().split('\r\n').slice(-2)[0], 'p4 UID FETCH 1 (BODY.PEEK[])', 'evicted: fetched whole again');
    d.client('p5 UID FETCH 2 (BODY.PEEK[]<10.10>)\r\n');
    assert.equal(d.takeServer(), 'p5 UID FETCH 2 (UID)\r\n', 'still cached');
  });

  test('a body larger than the cache is served once, then released', () => {
    const d = selectedSession({ engine: { partialCacheBytes: 50 } });
    d.client('a3 UID FETCH 1 (BODY.PEEK[]<0.10>)\r\n');
    fetchWhole(d, 1, 1, bigMessage(100, []), 'a3', 'UID 1');
    assert.equal(d.bodyList[0].released, true);
    assert.match(d.takeClient(), /BODY\[\]<0> \{10\}/);
  });

  test('a cached entry pinned by an outstanding command is not released under it', () => {
    const d = selectedSession({ engine: { partialCacheBytes: 150 } });
    const msg = bigMessage(100, []);
    d.client('a3 UID FETCH 1 (BODY.PEEK[]<0.10>)\r\n');
    fetchWhole(d, 1, 1, msg, 'a3', 'UID 1');
    d.client('a4 UID FETCH 1 (BODY.PEEK[]<10.10>)\r\na5 UID FETCH 2 (BODY.PEEK[]<0.10>)\r\n');
    fetchWhole(d, 2, 2, bigMessage(100, []), 'a5', 'UID 2');
    // a4's answer arrives after a5 pushed the cache over budget; it must still be served.
    d.server(`* 1 FETCH (UID 1 BODY[]<10> {10}\r\n${msg.slice(10, 20)})\r\na4 OK done\r\n`);
    assert.match(d.takeClient(), new RegExp(`BODY\\[\\]<10> \\{10\\}\\r\\n${msg.slice(10, 20)}`));
    assert.equal(d.bodyList[0].released, true, 'released once a4 completed');
  });

  test('keys include the mailbox: another mailbox with the same UID is fetched whole again', () => {
    const d = selectedSession();
    d.client('a3 UID FETCH 1 (BODY.PEEK[]<0.10>)\r\n');
    fetchWhole(d, 1, 1, bigMessage(100, []), 'a3', 'UID 1');
    d.client('a4 SELECT Archive\r\n');
    d.server('* OK [UIDVALIDITY 42] ok\r\na4 OK done\r\n');
    d.takeServer();
    d.client('a5 UID FETCH 1 (BODY.PEEK[]<0.10>)\r\n');
    assert.equal(d.takeServer(), 'a5 UID FETCH 1 (BODY.PEEK[])\r\n');
  });

  test('a partial fetch pipelined behind SELECT is not answered from the old mailbox', () => {
    const d = selectedSession();
    d.client('a3 UID FETCH 1 (BODY.PEEK[]<0.10>)\r\n');
    fetchWhole(d, 1, 1, bigMessage(100, []), 'a3', 'UID 1');
    d.takeServer();
    d.client('a4 SELECT Archive\r\na5 UID FETCH 1 (BODY.PEEK[]<0.10>)\r\n');
    assert.equal(d.takeServer(), 'a4 SELECT Archive\r\na5 UID FETCH 1 (BODY.PEEK[])\r\n');
  });
});

describe('partial fetches that are not rewritten', () => {
  test('header sections with a range pass as they are', () => {
    const d = selectedSession();
    d.client('a3 UID FETCH 1 (BODY.PEEK[HEADER]<0.10>)\r\n');
    assert.equal(d.takeServer(), 'a3 UID FETCH 1 (BODY.PEEK[HEADER]<0.10>)\r\n');
    d.server('* 1 FETCH (UID 1 BODY[HEADER]<0> {10}\r\nSubject: x)\r\na3 OK done\r\n');
    assert.equal(d.takeClient(), '* 1 FETCH (UID 1 BODY[HEADER]<0> {10}\r\nSubject: x)\r\na3 OK done\r\n');
    assert.deepEqual(d.takeEvents(), []);
  });

  test('two ranges of the same section in one command cannot be rewritten: passed on, reported', () => {
    const d = selectedSession();
    d.client('a3 UID FETCH 1 (BODY.PEEK[]<0.10> BODY.PEEK[]<10.10>)\r\n');
    assert.equal(d.takeServer(), 'a3 UID FETCH 1 (BODY.PEEK[]<0.10> BODY.PEEK[]<10.10>)\r\n');
    d.server('* 1 FETCH (UID 1 BODY[]<0> {10}\r\n0123456789 BODY[]<10> {3}\r\nabc)\r\na3 OK done\r\n');
    assert.equal(d.takeClient(), '* 1 FETCH (UID 1 BODY[]<0> {10}\r\n0123456789 BODY[]<10> {3}\r\nabc)\r\na3 OK done\r\n');
    const events = d.takeEvents();
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.type === 'body-unscanned' && e.reason === 'partial-fetch'));
  });
});
