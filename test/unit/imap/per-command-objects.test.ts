// What a small command (NOOP, UID FETCH n (FLAGS)) no longer makes anew each time: strings for its verb
// and items, the plan of a FETCH without sections, classifications of plain response lines. Each shared
// piece is checked to give the same values as before and to refuse being written to.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { latin1, upperWord } from '../../../src/imap/ascii.js';
import { parseFetchCommand } from '../../../src/imap/fetch-command.js';
import { planFetch } from '../../../src/imap/partial-fetch.js';
import { classifyResponseLine } from '../../../src/imap/response-line.js';
import { selectedSession } from './harness.js';

describe('short text from bytes', () => {
  test('latin1 equals Buffer#toString("latin1") at every short length, high bytes included', () => {
    const bytes = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 37 + 0x41) % 256));
    for (let start = 0; start < 4; start++) {
      for (let end = start; end <= bytes.length; end++) assert.equal(latin1(bytes, start, end), bytes.toString('latin1', start, end), `${start}..${end}`);
    }
  });

  test('upperWord gives the known word itself in any case, else the upper-cased text', () => {
    const known = ['NOOP', 'FETCH', 'BODY.PEEK[]'];
    const word = (text: string) => upperWord(Buffer.from(`a ${text} x`, 'latin1'), 2, 2 + text.length, known);
    assert.equal(word('noop'), known[0]);
    assert.equal(word('FeTcH'), known[1]);
    assert.equal(word('body.peek[]'), known[2]);
    for (const other of ['NOOPS', 'NOO', 'store', 'b\u00b5dy', 'stra\u00dfe', 'FETCH\u00ff']) assert.equal(word(other), other.toUpperCase(), other);
  });
});

describe('commands without a scanned section', () => {
  const line = (text: string) => Buffer.from(text, 'latin1');
  const plan = (text: string) => {
    const buf = line(text);
    const command = parseFetchCommand(buf, buf.indexOf('FETCH') + 6, text.includes(' UID '));
    assert.ok(command);
    return planFetch('t', buf, command, () => undefined);
  };

  test('share one empty plan that cannot be written to', () => {
    const first = plan('t1 UID FETCH 1 (FLAGS)\r\n').request;
    const second = plan('t2 UID FETCH 2 (UID FLAGS ENVELOPE)\r\n').request;
    assert.equal(first.sections, second.sections);
    assert.equal(first.answered, second.answered);
    assert.equal(first.pins, second.pins);
    assert.equal(first.sections.size, 0);
    assert.throws(() => first.sections.set('BODY[]', { kind: 'whole' }), TypeError);
    assert.throws(() => first.answered.add('BODY[]'), TypeError);
    assert.throws(() => (first.pins as unknown[]).push(1), TypeError);
    assert.equal(first.sections.size, 0);
  });

  test('a command with a section still gets a plan of its own', () => {
    const flags = plan('t1 UID FETCH 1 (FLAGS)\r\n').request;
    const body = plan('t2 UID FETCH 2 (BODY.PEEK[])\r\n').request;
    assert.notEqual(body.sections, flags.sections);
    assert.deepEqual([...body.sections], [['BODY[]', { kind: 'whole' }]]);
  });

  test('item names are read in any case as before', () => {
    const buf = line('t1 fetch 1 (flags uid Body.Peek[] rfc822.size X-GM-LABELS)\r\n');
    const command = parseFetchCommand(buf, 9, false);
    assert.deepEqual(
      command?.items.map((item) => item.name),
      ['FLAGS', 'UID', 'BODY.PEEK[]', 'RFC822.SIZE', 'X-GM-LABELS'],
    );
  });
});

describe('response lines without fields', () => {
  test('are one shared, frozen classification each', () => {
    for (const text of ['* 3 EXISTS\r\n', '+ go ahead\r\n', '* CAPABILITY IMAP4rev1\r\n']) {
      const a = classifyResponseLine(Buffer.from(text));
      assert.equal(classifyResponseLine(Buffer.from(text)), a, text);
      assert.ok(Object.isFrozen(a), text);
    }
    assert.deepEqual(classifyResponseLine(Buffer.from('a1 OK done\r\n')), { kind: 'tagged', tag: 'a1', status: 'OK' });
  });
});

describe('small commands through the engine', () => {
  test('NOOP and FETCH FLAGS in any case pass byte for byte, pipelined ones as one write each way', () => {
    const d = selectedSession();
    const serverWrites = d.serverOut.length;
    const clientWrites = d.clientOut.length;
    const commands = 'n1 noop\r\nf1 uid fetch 7 (flags)\r\nf2 FETCH 1 (FLAGS UID)\r\nn2 NoOp\r\n';
    d.client(commands);
    assert.equal(d.takeServer(), commands);
    assert.equal(d.serverOut.length - serverWrites, 1);
    const answers = 'n1 OK NOOP completed.\r\n* 1 FETCH (UID 7 FLAGS (\\Seen))\r\nf1 OK Fetch completed.\r\n* 1 FETCH (FLAGS () UID 7)\r\nf2 OK Fetch completed.\r\nn2 OK NOOP completed.\r\n';
    d.server(answers);
    assert.equal(d.takeClient(), answers);
    assert.equal(d.clientOut.length - clientWrites, 1);
  });

  test('a tagged OK with COMPRESS= in a capability code still loses it; one without = is passed as is', () => {
    const d = selectedSession();
    d.client('c1 NOOP\r\n');
    d.takeServer();
    d.server('c1 OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE IDLE] done\r\n');
    assert.equal(d.takeClient(), 'c1 OK [CAPABILITY IMAP4rev1 IDLE] done\r\n');
    d.client('c2 NOOP\r\n');
    d.takeServer();
    d.server('c2 OK [CAPABILITY IMAP4rev1 IDLE] done\r\n');
    assert.equal(d.takeClient(), 'c2 OK [CAPABILITY IMAP4rev1 IDLE] done\r\n');
  });
});
