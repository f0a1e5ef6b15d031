// The client's ID command (RFC 2971) and the switch to pass-through an excluded application triggers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdCollector } from '../../../src/imap/id-command.js';
import { EngineDriver, MARKER, bytewise, markedMessage, randomSplits, selectedSession, whole, type Chunker } from './harness.js';

function idOf(...pieces: Array<string | { literal: string }>): unknown {
  const collector = new IdCollector();
  for (const piece of pieces) {
    if (typeof piece === 'string') collector.text(Buffer.from(piece, 'utf8'));
    else {
      collector.literal(Buffer.from(piece.literal, 'utf8'));
      collector.literalEnd();
    }
  }
  return collector.finish();
}

describe('ID command parsing', () => {
  test('quoted strings, NIL values, case-insensitive field names', () => {
    assert.deepEqual(idOf('("name" "Thunderbird" "version" "115.3.1" "vendor" NIL)\r\n'), { name: 'Thunderbird', version: '115.3.1' });
    assert.deepEqual(idOf('("NAME" "Mutt \\"dev\\"")\r\n'), { name: 'Mutt "dev"' });
    assert.deepEqual(idOf('NIL\r\n'), {});
    assert.deepEqual(idOf('("os" NIL)\r\n'), {});
  });

  test('literals for names and values', () => {
    assert.deepEqual(idOf('("name" {11}\r\n', { literal: 'Thunderbird' }, ' "version" {3+}\r\n', { literal: '1.0' }, ')\r\n'), { name: 'Thunderbird', version: '1.0' });
    assert.deepEqual(idOf('({4}\r\n', { literal: 'name' }, ' "K-9")\r\n'), { name: 'K-9' });
  });

  test('malformed IDs give nothing', () => {
    assert.equal(idOf('("name")\r\n'), undefined);
    assert.equal(idOf('"name" "x"\r\n'), undefined);
    assert.equal(idOf('("name" "x"\r\n'), undefined);
    assert.equal(idOf(`("name" "${'x'.repeat(9000)}")\r\n`), undefined);
  });
});

const chunkers: Array<[string, Chunker]> = [
  ['whole', whole],
  ['bytewise', bytewise],
  ...[1, 2, 3, 4, 5].map((seed): [string, Chunker] => [`random ${seed}`, randomSplits(seed, 9)]),
];

describe('ID in a session', () => {
  for (const [name, chunker] of chunkers) {
    test(`the engine reports the ID name, whatever the chunking (${name})`, () => {
      const d = selectedSession();
      d.client('i1 ID ("name" {11}\r\n', chunker);
      d.client('Thunderbird "version" "115")\r\n', chunker);
      assert.equal(d.takeServer(), 'i1 ID ("name" {11}\r\nThunderbird "version" "115")\r\n', 'forwarded unchanged');
      assert.deepEqual(d.takeEvents(), [{ type: 'imap-id', protocol: 'imap', name: 'Thunderbird', version: '115' }]);
    });
  }
});

const fetchedMessage = markedMessage();
const fetchResponse = `* 1 FETCH (UID 7 BODY[] {${fetchedMessage.length}}\r\n${fetchedMessage})\r\nf1 OK done\r\n`;

describe('pass-through', () => {
  for (const [name, chunker] of chunkers) {
    test(`after the switch every byte passes unchanged, bodies are not announced (${name})`, () => {
      const d = selectedSession();
      d.passThrough();
      assert.equal(d.engine.passingThrough, true, 'nothing held: immediate');
      assert.deepEqual(d.takeEvents(), [{ type: 'imap-pass-through', protocol: 'imap' }]);
      const client = 'f1 UID FETCH 7 (BODY.PEEK[]<0.10>)\r\nc1 COMPRESS DEFLATE\r\n';
      const server = `* CAPABILITY IMAP4rev1 COMPRESS=DEFLATE\r\n${fetchResponse}`;
      d.client(client, chunker);
      d.server(server, chunker);
      assert.equal(d.takeServer(), client, 'no partial-fetch rewrite, no local answers');
      assert.equal(d.takeClient(), server, 'no capability filter, no scanning');
      assert.equal(d.bodyList.length, 0);
      d.tick(10_000_000);
      assert.equal(d.takeClient(), '', 'no keep-alives');
    });

    test(`requested while a body is held: the held response is finished first, then bytes pass (${name})`, () => {
      const d = selectedSession({ autoScan: false });
      d.client('f1 UID FETCH 7 (BODY.PEEK[])\r\n');
      const next = '* 2 FETCH (UID 8 FLAGS (\\Seen))\r\n';
      d.server(`${fetchResponse}`, chunker);
      d.passThrough();
      assert.equal(d.engine.passingThrough, false, 'a body is held');
      d.server(next, chunker);
      d.client('n1 NOOP\r\n', chunker);
      assert.equal(d.engine.passingThrough, false);
      assert.equal(d.takeClient(), '');
      d.scan();
      assert.equal(d.engine.passingThrough, true, 'switched once the held response went out');
      const out = d.takeClient();
      assert.ok(out.startsWith('* 1 FETCH (UID 7 BODY[] {'), out);
      assert.ok(!out.includes(MARKER), 'the held body was still scanned');
      assert.ok(out.endsWith(`f1 OK done\r\n${next}`), 'then the queued bytes, unchanged');
      d.server(`* 3 FETCH (UID 9 BODY[] {${fetchedMessage.length}}\r\n${fetchedMessage})\r\n`, chunker);
      assert.ok(d.takeClient().includes(MARKER), 'after the switch nothing is scanned');
      assert.equal(d.bodyList.length, 1);
    });
  }

  test('an incomplete line at the moment of the switch is forwarded unchanged, before later bytes', () => {
    const d = selectedSession();
    d.client('n1 NO');
    d.server('* 4 EXIS');
    d.passThrough();
    d.client('OP\r\n');
    d.server('TS\r\n');
    assert.equal(d.takeServer(), 'n1 NOOP\r\n');
    assert.equal(d.takeClient(), '* 4 EXISTS\r\n');
  });

  test('a FETCH the engine rewrote is answered before the switch', () => {
    const d = new EngineDriver();
    d.server('* OK ready\r\n');
    d.client('a1 SELECT INBOX\r\n');
    d.server('* OK [UIDVALIDITY 42] ok\r\na1 OK done\r\n');
    d.client('f1 FETCH 1 (BODY.PEEK[]<0.10>)\r\n');
    d.passThrough();
    assert.equal(d.engine.passingThrough, false, 'a planned FETCH is outstanding');
    const m = markedMessage();
    d.server(`* 1 FETCH (UID 3 BODY[] {${m.length}}\r\n${m})\r\nf1 OK done\r\n`);
    assert.equal(d.engine.passingThrough, true);
  });

  test('server EOF in pass-through closes the session', () => {
    const d = selectedSession();
    d.passThrough();
    d.end('server');
    assert.equal(d.closed, 'the server closed the connection');
  });
});
