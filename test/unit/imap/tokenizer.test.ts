// The one IMAP tokenizer (src/imap/tokenizer.ts) and the scanners built on it: token kinds and
// offsets by RFC 9051 §4/§9, FETCH item names with sections and partials, literal headers, and
// hostile input (unterminated quotes, huge literal counts, deep nesting) read in bounded steps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { readAstring } from '../../../src/imap/astring.js';
import { unquote } from '../../../src/imap/ascii.js';
import { parseFetchCommand } from '../../../src/imap/fetch-command.js';
import { FetchResponseParser } from '../../../src/imap/fetch-response-parser.js';
import { IdCollector } from '../../../src/imap/id-command.js';
import { ImapTokenizer, type Token } from '../../../src/imap/tokenizer.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** All tokens up to `end` (or a bad token), with a cap on the calls that any input must stay under. */
function tokensOf(line: Buffer, from = 0, read: (t: ImapTokenizer) => Token = (t) => t.next()): Token[] {
  const tokenizer = new ImapTokenizer(line, from, true);
  const out: Token[] = [];
  for (let calls = 0; calls <= line.length + 2; calls++) {
    const token = read(tokenizer);
    out.push(token);
    if (token.kind === 'end') return out;
  }
  assert.fail(`no end after ${line.length + 2} calls for ${JSON.stringify(line.toString('latin1'))}`);
}

function show(line: Buffer, tokens: Token[]): string[] {
  return tokens.map((t) => (t.kind === 'sp' || t.kind === 'end' ? t.kind : `${t.kind}:${line.toString('latin1', t.start, t.end)}`));
}

describe('tokens', () => {
  test('atoms, numbers, NIL, quoted strings, lists and the literal header, with offsets', () => {
    const line = b('7 nil Nil NIL0 \\Seen (a (b)) "q\\"x" "" 0123 1234567890123456 {5}\r\n');
    assert.deepEqual(show(line, tokensOf(line)), [
      'number:7', 'sp', 'nil:nil', 'sp', 'nil:Nil', 'sp', 'atom:NIL0', 'sp', 'atom:\\Seen', 'sp',
      'open:(', 'atom:a', 'sp', 'open:(', 'atom:b', 'close:)', 'close:)', 'sp',
      'quoted:"q\\"x"', 'sp', 'quoted:""', 'sp', 'number:0123', 'sp', 'atom:1234567890123456', 'sp', 'literal:{5}', 'end',
    ]);
    const number = tokensOf(b('123456789012345\r\n'))[0];
    assert.deepEqual(number, { kind: 'number', start: 0, end: 15, value: 123456789012345 });
  });

  test('literal forms: {n}, ~{n} literal8, and {n+} / {n-} only where the client may send them', () => {
    const client = (s: string): Token[] => tokensOf(b(s));
    const server = (s: string): Token[] => {
      const t = new ImapTokenizer(b(s), 0, false);
      return [t.next(), t.next(), t.next()];
    };
    assert.deepEqual(client('a ~{3}\r\n')[2], { kind: 'literal', start: 2, end: 6, header: { start: 2, end: 6, size: 3, binary: true, nonSync: false } });
    assert.equal((client('a {7+}\r\n')[2] as { header: { nonSync: boolean } }).header.nonSync, true);
    assert.equal((client('a {7-}\n')[2] as { header: { size: number } }).header.size, 7);
    assert.deepEqual(show(b('a {7+}\r\n'), server('a {7+}\r\n')), ['atom:a', 'sp', 'atom:{7+}']);
    // A header counts only at the line end and at a token boundary.
    assert.deepEqual(show(b('a{5}\r\n'), client('a{5}\r\n')), ['atom:a{5}', 'end']);
    assert.deepEqual(show(b('{5} x\r\n'), client('{5} x\r\n')), ['atom:{5}', 'sp', 'atom:x', 'end']);
  });

  test('a literal count too large to be exact is no literal: nothing is announced, nothing sized', () => {
    for (const count of ['1234567890123456', '9'.repeat(400)]) {
      const line = b(`a {${count}}\r\n`);
      const tokens = tokensOf(line);
      assert.ok(tokens.every((t) => t.kind !== 'literal'), count);
      assert.equal(new ImapTokenizer(line, 0, true).literal, null);
    }
    assert.equal(new ImapTokenizer(b('a {999999999999999}\r\n'), 0, false).literal?.size, 999_999_999_999_999);
  });

  test('an unterminated quoted string ends the line with a bad token; a quote cannot hide the line end', () => {
    for (const line of ['"abc\r\n', '"abc\\"\r\n', '"abc\\\r\n', '"a\rb"\r\n']) {
      const tokens = tokensOf(b(line));
      assert.deepEqual(tokens.map((t) => t.kind), ['bad', 'end'], line);
      assert.equal((tokens[0] as { reason: string }).reason, 'unterminated-quoted');
    }
    // A literal header inside an open quote is still where the line's tokens stop.
    assert.deepEqual(tokensOf(b('"a {3}\r\n')).map((t) => t.kind), ['bad', 'literal', 'end']);
  });

  test('a bare CR inside a line is bad; lines without a terminator are read to their end', () => {
    assert.deepEqual(tokensOf(b('a\rb\r\n')).map((t) => t.kind), ['atom', 'bad', 'end']);
    assert.deepEqual(show(b('x y'), tokensOf(b('x y'))), ['atom:x', 'sp', 'atom:y', 'end']);
  });
});

describe('FETCH item names', () => {
  const names = (s: string): string[] => show(b(s), tokensOf(b(s), 0, (t) => t.nextFetchAtt()));

  test('section and partial belong to the name; field names in a header-list may be quoted', () => {
    assert.deepEqual(names('BODY[1.2.MIME]<0.1024> BODY.PEEK[HEADER.FIELDS (FROM "T]O")] BINARY[1]<10> UID\r\n'), [
      'fetch-att:BODY[1.2.MIME]<0.1024>', 'sp', 'fetch-att:BODY.PEEK[HEADER.FIELDS (FROM "T]O")]', 'sp', 'fetch-att:BINARY[1]<10>', 'sp', 'fetch-att:UID', 'end',
    ]);
    assert.deepEqual(names('(BODY[]<0>)\r\n'), ['open:(', 'fetch-att:BODY[]<0>', 'close:)', 'end']);
    // The name ends after the section or partial; what follows is the next token.
    assert.deepEqual(names('BODY[1]X\r\n'), ['fetch-att:BODY[1]', 'fetch-att:X', 'end']);
  });

  test('a name the line ends inside of is incomplete, and is continued after the literal', () => {
    const first = new ImapTokenizer(b('BODY[HEADER.FIELDS ({4}\r\n'), 0, false);
    assert.equal(first.nextFetchAtt().kind, 'incomplete');
    assert.equal(first.next().kind, 'literal');
    const rest = b(' X)] {10}\r\n');
    const second = new ImapTokenizer(rest, 0, false);
    assert.deepEqual(show(rest, [second.continueSection(), second.next(), second.next(), second.next()]), ['fetch-att: X)]', 'sp', 'literal:{10}', 'end']);
    for (const line of ['BODY[1\r\n', 'BODY[1]<0\r\n', 'BODY["]"\r\n']) {
      assert.equal(new ImapTokenizer(b(line), 0, false).nextFetchAtt().kind, 'incomplete', line);
    }
  });
});

describe('lists', () => {
  test('skipList passes over list content to the closing parenthesis, and carries the depth over a literal', () => {
    const line = b('(a ")(" (b) {x}) rest\r\n');
    const t = new ImapTokenizer(line, 1, false);
    assert.equal(t.skipList(1), 0);
    assert.equal(line.toString('latin1', t.pos), ' rest\r\n');
    const first = new ImapTokenizer(b('((a {3}\r\n'), 1, false);
    assert.equal(first.skipList(1), 2);
    assert.equal(first.next().kind, 'literal');
    const second = new ImapTokenizer(b(' b) c) d\r\n'), 0, false);
    assert.equal(second.skipList(2), 0);
    assert.equal(second.pos, 6);
    assert.equal(new ImapTokenizer(b('(a "b)\r\n'), 1, false).skipList(1), -1, 'unterminated quoted string');
    assert.equal(new ImapTokenizer(b('(a\rb)\r\n'), 1, false).skipList(1), -1, 'bare CR');
  });
});

describe('astrings', () => {
  test('quoted, atom, literal, empty, missing', () => {
    const line = b('a LOGIN "us\\"er" {5}\r\n');
    assert.equal(readAstring(line, 8), 'us"er');
    assert.equal(readAstring(line, 17), 'literal');
    assert.equal(readAstring(b('a SELECT INBOX.Sent]x\r\n'), 9), 'INBOX.Sent]x');
    assert.equal(readAstring(b('a SELECT  x\r\n'), 9), '');
    assert.equal(readAstring(b('a SELECT\r\n'), 8), undefined);
    assert.equal(readAstring(b('a SELECT "x\r\n'), 9), undefined);
    assert.equal(readAstring(b('a LOGIN {3+}\r\n'), 8), 'literal');
  });
});

describe('the scanners on the tokenizer', () => {
  test('FETCH commands: an item must end at SP, ")" or the line end', () => {
    assert.equal(parseFetchCommand(b('t FETCH 1 (BODY[]X FLAGS)\r\n'), 8, false), undefined);
    assert.equal(parseFetchCommand(b('t FETCH 1 (BODY[] "x")\r\n'), 8, false), undefined);
    assert.equal(parseFetchCommand(b('t FETCH 1 BODY[])\r\n'), 8, false)?.listEnd, 16);
    assert.deepEqual(parseFetchCommand(b('t FETCH 1:* (UID  BODY.PEEK[1]<0.9>)\r\n'), 8, false)?.items.map((i) => i.name), ['UID', 'BODY.PEEK[1]<0.9>']);
  });

  test('FETCH responses: a literal inside a section spec passes, the item after it is read', () => {
    const parser = new FetchResponseParser();
    const r1 = parser.parseSegment(b('UID 3 BODY[HEADER.FIELDS ({4}\r\n'), 0);
    assert.deepEqual([r1.items.map((i) => i.name), r1.nestedLiteral, r1.malformed], [['UID'], { size: 4, binary: false }, false]);
    const r2 = parser.parseSegment(b(')] {5}\r\n'), 0);
    assert.deepEqual(r2.items.map((i) => [i.name, i.value?.form]), [['', 'literal']], 'the name is unreadable, its value a literal');
    assert.equal(r2.directLiteral, true);
    const r3 = parser.parseSegment(b(' BODY[1]<0> NIL RFC822.SIZE 9)\r\n'), 0);
    assert.deepEqual(r3.items.map((i) => [i.name, i.value?.form]), [['BODY[1]<0>', 'atom'], ['RFC822.SIZE', 'atom']]);
    assert.equal(r3.complete, true);
  });

  test('ID: atoms are taken as strings, NIL as NIL, a bad quote spoils the command', () => {
    const id = (...lines: string[]): unknown => {
      const c = new IdCollector();
      for (const l of lines) c.text(b(l));
      return c.finish();
    };
    assert.deepEqual(id('(name Mutt version nil)\r\n'), { name: 'Mutt' });
    assert.deepEqual(id('(name 42)\r\n'), { name: '42' });
    assert.equal(id('("name" "x)\r\n'), undefined);
    assert.deepEqual(id('("name" {3}x)\r\n'), { name: '{3}x' }, 'a literal header only at the line end; before it is atom bytes');
  });
});

describe('hostile input, bounded work', () => {
  test('deep list nesting is a counter, not recursion', () => {
    const depth = 200_000;
    const line = b(`X ${'('.repeat(depth)}${')'.repeat(depth)})\r\n`);
    const result = new FetchResponseParser().parseSegment(line, 0);
    assert.equal(result.complete, true);
    assert.equal(result.malformed, false);
    assert.deepEqual(result.items[0].value, { form: 'list', start: 2, end: 2 + 2 * depth });
    assert.equal(tokensOf(line).length, 2 * depth + 4);
  });

  test('a huge literal count in a FETCH response is no literal: the response is malformed, not sized', () => {
    const result = new FetchResponseParser().parseSegment(b(`UID 1 BODY[] {${'9'.repeat(100)}}\r\n`), 0);
    assert.equal(result.directLiteral, false);
    assert.equal(result.malformed, true);
  });

  test('a long unterminated section or partial is one incomplete token', () => {
    const line = b(`BODY[${'"'.repeat(3)}${'x'.repeat(100_000)}<${'1'.repeat(1000)}\r\n`);
    assert.deepEqual(tokensOf(line, 0, (t) => t.nextFetchAtt()).map((t) => t.kind), ['incomplete', 'end']);
  });
});

describe('properties', () => {
  const anyLine = fc
    .tuple(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a)), fc.constantFrom(...['(', ')', '"', '\\', '[', ']', '<', '>', ' ', '{3}', '~{', '+}', 'NIL', '12'].map(b))), { maxLength: 20 }),
      fc.constantFrom('\r\n', '\n', ' {4}\r\n', ' ~{2}\n', '({1+}\r\n', ''),
      fc.nat({ max: 40 }),
    )
    .map(([parts, end, from]) => {
      const line = Buffer.concat([...parts, b(end)]);
      return { line, from: Math.min(from, line.length) };
    });
  const readers: Array<(t: ImapTokenizer) => Token> = [(t) => t.next(), (t) => t.nextFetchAtt(), (t) => t.nextAstring(), (t) => t.continueSection()];

  test('any bytes: every call moves on or ends, tokens stay in order and inside the line', () => {
    fc.assert(
      fc.property(anyLine, fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 50 }), ({ line, from }, picks) => {
        let k = 0;
        const tokens = tokensOf(line, from, (t) => readers[picks[k++ % picks.length]](t));
        let pos = from;
        for (const token of tokens) {
          assert.ok(token.start >= pos || token.kind === 'literal' || token.kind === 'end', JSON.stringify(token));
          assert.ok(token.end <= line.length && token.end >= token.start);
          if (token.kind !== 'bad' && token.kind !== 'end') assert.ok(token.end > token.start, 'a token has bytes');
          pos = Math.max(pos, token.end);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('any bytes: until a bad token, the tokens tile the line up to the literal header exactly', () => {
    fc.assert(
      fc.property(anyLine, ({ line, from }) => {
        const tokenizer = new ImapTokenizer(line, from, true);
        const tokens = tokensOf(line, from);
        const bad = tokens.findIndex((t) => t.kind === 'bad');
        const body = tokens.filter((t) => t.kind !== 'literal' && t.kind !== 'end').slice(0, bad < 0 ? undefined : bad);
        const covered = Buffer.concat(body.map((t) => line.subarray(t.start, t.end)));
        const expectedEnd = bad < 0 ? Math.max(from, tokenizer.limit) : tokens[bad].start;
        assert.ok(covered.equals(line.subarray(from, Math.max(from, expectedEnd))));
        if (bad < 0 && tokenizer.literal && from <= tokenizer.literal.start) assert.equal(tokens.at(-2)?.kind, 'literal');
      }),
      { numRuns: 3000 },
    );
  });

  test('any bytes: skipList ends where counting open and close tokens ends', () => {
    fc.assert(
      fc.property(anyLine, fc.integer({ min: 1, max: 3 }), ({ line, from }, depth) => {
        const skipping = new ImapTokenizer(line, from, true);
        const left = skipping.skipList(depth);
        const counting = new ImapTokenizer(line, from, true);
        let open = depth;
        for (;;) {
          const token = counting.next();
          if (token.kind === 'bad') {
            assert.equal(left, -1);
            return;
          }
          if (token.kind === 'end' || token.kind === 'literal') break;
          if (token.kind === 'open') open++;
          if (token.kind === 'close' && --open === 0) break;
        }
        assert.equal(left, open);
        assert.equal(skipping.pos, open === 0 ? counting.pos : Math.max(from, counting.limit));
      }),
      { numRuns: 3000 },
    );
  });

  type Piece = { kind: 'atom' | 'number' | 'nil' | 'quoted' | 'open' | 'close'; text: string };
  const piece: fc.Arbitrary<Piece> = fc.oneof(
    fc.stringMatching(/^[A-Za-z\\$.\-\]\[{}<>*%+]{1,8}$/).filter((s) => s.toUpperCase() !== 'NIL' && !/^[0-9]+$/.test(s)).map((text) => ({ kind: 'atom' as const, text })),
    fc.nat().map((n) => ({ kind: 'number' as const, text: String(n) })),
    fc.constantFrom('NIL', 'nil').map((text) => ({ kind: 'nil' as const, text })),
    fc.string({ maxLength: 12 }).filter((s) => !/[\r\n]/.test(s)).map((text) => ({ kind: 'quoted' as const, text })),
    fc.constant({ kind: 'open' as const, text: '(' }),
    fc.constant({ kind: 'close' as const, text: ')' }),
  );
  const write = (p: Piece): string => (p.kind === 'quoted' ? `"${p.text.replace(/[\\"]/g, (c) => `\\${c}`)}"` : p.text);

  test('written tokens read back as the same kinds and quoted strings as the same content', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.boolean(), (pieces, literal) => {
        const text = pieces.map(write).join(' ');
        const line = Buffer.from(`${text}${literal ? ' {12}' : ''}\r\n`, 'utf8');
        const tokens = tokensOf(line).filter((t) => t.kind !== 'sp');
        assert.deepEqual(tokens.map((t) => t.kind), [...pieces.map((p) => p.kind), ...(literal ? ['literal'] : []), 'end']);
        pieces.forEach((p, i) => {
          const t = tokens[i];
          if (p.kind === 'quoted') assert.equal(unquote(line, t.start, t.end).toString('utf8'), p.text);
          else assert.equal(line.toString('latin1', t.start, t.end), p.text);
          if (t.kind === 'number') assert.equal(t.value, Number(p.text));
        });
      }),
      { numRuns: 2000 },
    );
  });
});
