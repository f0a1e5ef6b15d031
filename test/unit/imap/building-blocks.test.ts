// The building blocks: line framing, literal headers, FETCH item names, FETCH commands and
// responses, SASL identities.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyFetchItem } from '../../../src/imap/fetch-item.js';
import { parseFetchCommand, rewriteFetchCommand } from '../../../src/imap/fetch-command.js';
import { FetchResponseParser } from '../../../src/imap/fetch-response-parser.js';
import { LineFramer, type FramerSink } from '../../../src/imap/line-framer.js';
import { literalAtLineEnd } from '../../../src/imap/literal-header.js';
import { saslIdentity } from '../../../src/imap/sasl-identity.js';
import { classifyResponseLine } from '../../../src/imap/response-line.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('LineFramer', () => {
  function frame(chunks: string[], literalFor: (line: string) => number): string[] {
    const events: string[] = [];
    const sink: FramerSink = {
      onLine: (line) => {
        events.push(`line:${line.toString('latin1')}`);
        return literalFor(line.toString('latin1'));
      },
      onLiteralData: (chunk) => events.push(`data:${chunk.toString('latin1')}`),
      onLiteralEnd: () => events.push('end'),
      onOverlongLine: () => events.push('overlong'),
    };
    const framer = new LineFramer(sink, 64);
    for (const c of chunks) framer.push(b(c));
    return events;
  }
  const literal = (line: string): number => literalAtLineEnd(b(line), false)?.size ?? -1;

  test('lines split anywhere, literal content handed over as it arrives', () => {
    assert.deepEqual(frame(['* 1 FE', 'TCH (BODY[] {5}\r', '\nab', 'cde)\r\n* 2'], literal), [
      'line:* 1 FETCH (BODY[] {5}\r\n',
      'data:ab',
      'data:cde',
      'end',
      'line:)\r\n',
    ]);
  });

  test('empty literals end at once; bare LF ends a line', () => {
    assert.deepEqual(frame(['x {0}\ny\n'], literal), ['line:x {0}\n', 'end', 'line:y\n']);
  });

  test('a line longer than the limit stops the framer', () => {
    assert.deepEqual(frame(['x'.repeat(40), 'y'.repeat(40), '\r\n'], literal), ['overlong']);
  });
});

describe('literalAtLineEnd', () => {
  test('forms', () => {
    assert.deepEqual(literalAtLineEnd(b('a {12}\r\n'), false), { start: 2, end: 6, size: 12, binary: false, nonSync: false });
    assert.deepEqual(literalAtLineEnd(b('a ~{3}\n'), false), { start: 2, end: 6, size: 3, binary: true, nonSync: false });
    assert.deepEqual(literalAtLineEnd(b('a APPEND x {7+}\r\n'), true), { start: 11, end: 15, size: 7, binary: false, nonSync: true });
    assert.equal(literalAtLineEnd(b('a APPEND x {7+}\r\n'), false), null, 'servers do not send {n+}');
    assert.deepEqual(literalAtLineEnd(b('(a {4-}\r\n'), true)?.size, 4);
  });

  test('not literals', () => {
    for (const line of ['a b\r\n', 'a foo{5}\r\n', 'a {}\r\n', 'a {5\r\n', 'a {1234567890123456}\r\n', 'a "{5}"\r\n']) {
      assert.equal(literalAtLineEnd(b(line), true), null, line);
    }
  });
});

describe('FETCH item names', () => {
  test('scanned sections', () => {
    assert.deepEqual(classifyFetchItem('BODY.PEEK[]<0.65536>'), {
      kind: 'body',
      scope: 'whole',
      responseName: 'BODY[]',
      binary: false,
      peek: true,
      origin: 0,
      length: 65536,
      partialAt: 11,
    });
    assert.equal((classifyFetchItem('BINARY.PEEK[1.2]') as { scope: string }).scope, 'part');
    assert.equal((classifyFetchItem('BODY[1.2.TEXT]') as { scope: string }).scope, 'text');
    assert.equal((classifyFetchItem('RFC822') as { responseName: string }).responseName, 'RFC822');
    assert.deepEqual((classifyFetchItem('BODY[2]<100>') as { origin: number }).origin, 100);
  });

  test('header sections, structure and extensions', () => {
    for (const name of ['BODY[HEADER]', 'BODY[HEADER.FIELDS (FROM)]', 'BODY[1.MIME]', 'BODY[3.HEADER.FIELDS.NOT (X)]', 'RFC822.HEADER']) {
      assert.equal((classifyFetchItem(name) as { scope?: string }).scope, 'header', name);
    }
    for (const name of ['BODY', 'BODYSTRUCTURE', 'BINARY.SIZE[1]', 'BINARY[TEXT]', 'BODY[0]', 'ENVELOPE', 'X-GM-MSGID']) {
      assert.equal(classifyFetchItem(name).kind, 'other', name);
    }
    assert.equal(classifyFetchItem('UID').kind, 'uid');
    assert.equal(classifyFetchItem('RFC822.SIZE').kind, 'size');
  });
});

describe('FETCH commands', () => {
  test('parse and rewrite partial items, keep modifiers and PEEK', () => {
    const line = b('t1 UID FETCH 1:5 (UID BODY.PEEK[HEADER.FIELDS (FROM "TO")] BODY.PEEK[1]<0.2048> FLAGS) (CHANGEDSINCE 12)\r\n');
    const command = parseFetchCommand(line, 'T1 UID FETCH '.length, true);
    assert.ok(command);
    assert.deepEqual(command.items.map((i) => i.name), ['UID', 'BODY.PEEK[HEADER.FIELDS (FROM "TO")]', 'BODY.PEEK[1]<0.2048>', 'FLAGS']);
    const rewritten = rewriteFetchCommand(line, command, new Set([command.items[2]]), false);
    assert.equal(rewritten.toString(), 't1 UID FETCH 1:5 (UID BODY.PEEK[HEADER.FIELDS (FROM "TO")] BODY.PEEK[1] FLAGS) (CHANGEDSINCE 12)\r\n');
  });

  test('single item and macros', () => {
    const line = b('t2 FETCH 3 BINARY.PEEK[2]<10.10>\r\n');
    const command = parseFetchCommand(line, 't2 FETCH '.length, false);
    assert.ok(command && !command.parenthesized);
    assert.equal(rewriteFetchCommand(line, command, new Set(command.items), true).toString(), 't2 FETCH 3 (BINARY.PEEK[2] UID)\r\n');
    assert.equal(parseFetchCommand(b('t3 FETCH 1:* ALL\r\n'), 't3 FETCH '.length, false)?.items[0].item.kind, 'other');
    assert.equal(parseFetchCommand(b('t4 FETCH 1:* (BODY[\r\n'), 't4 FETCH '.length, false), undefined);
  });
});

describe('FETCH response parser', () => {
  test('items with offsets across a literal', () => {
    const parser = new FetchResponseParser();
    const first = b('* 12 FETCH (UID 7 FLAGS (\\Seen (x) "a)") BODY[1]<0> "q\\"x" ENVELOPE ("d" {3}\r\n');
    const r1 = parser.parseSegment(first, '* 12 FETCH ('.length);
    assert.deepEqual(r1.items.map((i) => [i.name, i.value?.form]), [
      ['UID', 'atom'],
      ['', 'list'], // names the engine does not need are not turned into strings
      ['BODY[1]<0>', 'quoted'],
      ['', undefined],
    ]);
    assert.deepEqual(r1.nestedLiteral, { size: 3, binary: false });
    const r2 = parser.parseSegment(b(' NIL) BODY[] ~{4}\r\n'), 0);
    assert.deepEqual(r2.items.map((i) => [i.name, i.value?.form]), [['BODY[]', 'literal']]);
    assert.equal(r2.directLiteral, true);
    const r3 = parser.parseSegment(b(' RFC822.SIZE 44)\r\n'), 0);
    assert.equal(r3.complete, true);
    assert.equal(r3.items[0].name, 'RFC822.SIZE');
  });

  test('malformed input is reported, not thrown', () => {
    for (const line of ['* 1 FETCH (UID 1 "x\r\n', '* 1 FETCH (UID\r\n', '* 1 FETCH (UID 1 FLAGS (a\r\n', '* 1 FETCH (UID 1 X\x00)\r\n']) {
      const result = new FetchResponseParser().parseSegment(b(line), '* 1 FETCH ('.length);
      assert.ok(result.malformed || result.complete, line);
    }
  });
});

describe('response lines', () => {
  test('kinds', () => {
    assert.deepEqual(classifyResponseLine(b('* 3 FETCH (UID 1)\r\n')), { kind: 'fetch', seq: 3, listStart: 11 });
    assert.deepEqual(classifyResponseLine(b('A001 OK done\r\n')), { kind: 'tagged', tag: 'A001', status: 'OK' });
    assert.deepEqual(classifyResponseLine(b('* BYE bye\r\n')), { kind: 'status', status: 'BYE' });
    assert.deepEqual(classifyResponseLine(b('* capability IMAP4rev1\r\n')), { kind: 'capability' });
    assert.deepEqual(classifyResponseLine(b('+ go\r\n')), { kind: 'continuation' });
    assert.deepEqual(classifyResponseLine(b('* 3 EXISTS\r\n')), { kind: 'data' });
    assert.deepEqual(classifyResponseLine(b('* OKAY\r\n')), { kind: 'data' });
  });
});

describe('SASL identities', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  test('PLAIN, XOAUTH2, LOGIN; nothing for other mechanisms or bad input', () => {
    assert.equal(saslIdentity('PLAIN', b64('\u0000alice\u0000secret')), 'alice');
    assert.equal(saslIdentity('plain', b64('boss\u0000alice\u0000secret')), 'boss');
    assert.equal(saslIdentity('XOAUTH2', b64('user=alice@example.com\u0001auth=Bearer tok\u0001\u0001')), 'alice@example.com');
    assert.equal(saslIdentity('LOGIN', b64('alice')), 'alice');
    assert.equal(saslIdentity('SCRAM-SHA-256', b64('n,,n=alice,r=abc')), undefined);
    assert.equal(saslIdentity('PLAIN', '='), undefined);
    assert.equal(saslIdentity('PLAIN', 'not base64!'), undefined);
    assert.equal(saslIdentity('PLAIN', b64('no separators at all')), undefined);
  });
});

describe('zero-copy relay', () => {
  test('lines and literals passed through unchanged go out as views of the input chunk', async () => {
    const { ImapEngine } = await import('../../../src/imap/engine.js');
    const { defaultEngineOptions } = await import('../../../src/protocol/engine.js');
    const engine = new ImapEngine({ ...defaultEngineOptions });
    const input = b('* 1 EXISTS\r\n* 1 FETCH (FLAGS (\\Seen) UID 1)\r\n* 2 FETCH (UID 2 BODY[HEADER] {10}\r\n0123456789)\r\na1 OK done\r\n');
    engine.fromServer(input);
    const out = engine.drain().filter((o) => o.kind === 'toClient');
    assert.equal(out.length, 1);
    const bytes = out[0].kind === 'toClient' ? out[0].bytes : Buffer.alloc(0);
    assert.ok(bytes.equals(input));
    assert.equal(bytes.buffer, input.buffer, 'same memory, not a copy');
  });

  test('a verdict that arrives before bodyEnd is applied once the body is complete', async () => {
    const { ImapEngine } = await import('../../../src/imap/engine.js');
    const { defaultEngineOptions } = await import('../../../src/protocol/engine.js');
    const engine = new ImapEngine({ ...defaultEngineOptions });
    engine.fromServer(b('* 2 FETCH (UID 2 BODY[] {10}\r\n01234'));
    const begin = engine.drain().find((o) => o.kind === 'bodyBegin');
    assert.ok(begin?.kind === 'bodyBegin');
    engine.scanned(begin.bodyId, { size: 10, changed: false });
    assert.deepEqual(engine.drain().filter((o) => o.kind === 'toClient'), []);
    engine.fromServer(b('56789)\r\n'));
    const kinds = engine.drain().map((o) => o.kind);
    assert.deepEqual(kinds, ['bodyData', 'bodyEnd', 'toClient', 'bodyToClient', 'bodyRelease', 'toClient']);
  });
});
