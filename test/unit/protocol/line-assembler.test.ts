// The one line assembler (src/protocol/line-buffer.ts) and the limits built on it that the IMAP and
// POP3 hostile-and-limits tests do not cover: the preludes and POP3's typed protocolError outputs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pop3Prelude } from '../../../src/pop3/prelude.js';
import { ImapPrelude } from '../../../src/imap/prelude.js';
import { DEFAULT_PROTOCOL_LIMITS, type Pop3Limits } from '../../../src/protocol/limits.js';
import { LineAssembler, LineBuffer, NEED_MORE_LINE, TOO_LONG_LINE, type LineTake } from '../../../src/protocol/line-buffer.js';
import { drive } from '../prelude/drive.js';
import { Harness, byteByByte, whole } from '../pop3/harness.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

/** Every result of feeding the chunks, lines as text. */
function takeAll(chunks: string[], max: number): string[] {
  const assembler = new LineAssembler();
  const results: string[] = [];
  for (const chunk of chunks.map(b)) {
    for (let position = 0; position < chunk.length; ) {
      const taken: LineTake = assembler.take(chunk, position, max);
      if (taken.kind === 'line') {
        results.push(taken.line.toString('latin1'));
        position = taken.next;
      } else {
        if (taken.kind === 'tooLong') results.push(`tooLong ${taken.maxLineBytes}`);
        break;
      }
    }
  }
  return results;
}

describe('LineAssembler', () => {
  it('hands out LF-terminated lines whatever the chunking, and keeps an incomplete one', () => {
    assert.deepEqual(takeAll(['a\r\nb', 'c\r', '\nd\n', 'e'], 100), ['a\r\n', 'bc\r\n', 'd\n']);
  });

  it('returns tooLong for a line longer than the limit counted with its ending, in one chunk or many', () => {
    assert.deepEqual(takeAll(['12345\r\n'], 7), ['12345\r\n']);
    assert.deepEqual(takeAll(['123456\r\n'], 7), ['tooLong 7']);
    assert.deepEqual(takeAll(['1234', '56\r\n'], 7), ['tooLong 7']);
    assert.deepEqual(takeAll(['12345678'], 7), ['tooLong 7'], 'no line ending needed to know');
  });

  it('returns a line inside one chunk as a view, and copies the bytes of an open line', () => {
    const chunk = Buffer.alloc(6); // not from the shared pool, so `.buffer` identifies it
    chunk.write('ab\r\ncd', 'latin1');
    const assembler = new LineAssembler();
    const first = assembler.take(chunk, 0, 100);
    assert.ok(first.kind === 'line' && first.line.buffer === chunk.buffer);
    assert.equal(assembler.take(chunk, 4, 100).kind, 'needMore');
    chunk.fill(0x78);
    assert.equal(assembler.pendingLength, 2);
    assert.equal(assembler.takePending()?.toString('latin1'), 'cd');
    assert.equal(assembler.takePending(), undefined);
  });
});

describe('LineBuffer', () => {
  it('reads lines pushed earlier and gives back the rest, incomplete line first', () => {
    const buffer = new LineBuffer(100);
    buffer.push(b('one\r\ntw'));
    buffer.push(b('o\r\nthr'));
    const lines: string[] = [];
    for (let taken = buffer.next(); taken.kind === 'line'; taken = buffer.next()) lines.push(taken.line.toString('latin1'));
    assert.deepEqual(lines, ['one\r\n', 'two\r\n']);
    buffer.push(b('ee and more'));
    assert.equal(buffer.takeRest().toString('latin1'), 'three and more');
    assert.equal(buffer.next().kind, 'needMore');
  });
});

describe('prelude limits (prelude.lineBytes, prelude.heldBytes)', () => {
  const { lineBytes, heldBytes } = DEFAULT_PROTOCOL_LIMITS.prelude;

  it('accept a greeting of exactly prelude.lineBytes and refuse one byte more', () => {
    const greeting = (bytes: number): string => `+OK ${'g'.repeat(bytes - 6)}\r\n`;
    for (const chunk of [1, 100, 10_000]) {
      const fits = drive(new Pop3Prelude({ clientTls: 'implicit', upstreamTls: 'implicit' }), [{ server: greeting(lineBytes) }], chunk);
      assert.equal(fits.length, 1);
      assert.ok('ready' in fits[0]);
      const over = drive(new Pop3Prelude({ clientTls: 'implicit', upstreamTls: 'implicit' }), [{ server: greeting(lineBytes + 1) }], chunk);
      assert.ok(over.some((entry) => 'protocolError' in entry && entry.protocolError === `server prelude.lineBytes ${lineBytes}`), 'reported as a typed limit hit');
      assert.deepEqual(over.at(-1), { close: 'upstream sent an over-long line before the session started' });
    }
  });

  it('refuse a plaintext command line too long on a STARTTLS listener, and a client that sends too much before the greeting', () => {
    const plain = drive(new ImapPrelude({ clientTls: 'starttls', upstreamTls: 'implicit' }), [{ server: '* OK ready\r\n' }, { client: 'x'.repeat(lineBytes + 1) }], 1000);
    assert.ok(plain.some((entry) => 'protocolError' in entry && entry.protocolError === `client prelude.lineBytes ${lineBytes}`));
    assert.deepEqual(plain.at(-1), { close: 'command line too long before TLS was started' });
    const early = drive(new ImapPrelude({ clientTls: 'implicit', upstreamTls: 'implicit' }), [{ client: 'x'.repeat(heldBytes + 1) }], 4096);
    assert.ok(early.some((entry) => 'protocolError' in entry && entry.protocolError === `client prelude.heldBytes ${heldBytes}`));
    assert.deepEqual(early.at(-1), { close: 'client sent too much data before the upstream greeting' });
  });
});

describe('POP3 limit hits are typed protocolError outputs', () => {
  const GREETING = '+OK ready\r\n';
  const withLimits = (pop3: Partial<Pop3Limits>): Harness =>
    new Harness({ engine: { limits: { ...DEFAULT_PROTOCOL_LIMITS, pop3: { ...DEFAULT_PROTOCOL_LIMITS.pop3, ...pop3 } } } });
  const hits = (harness: Harness): unknown[] =>
    harness.log.filter((output) => output.kind === 'protocolError').map((output) => ({ ...output }));

  it('pop3.commandLineBytes (default 64 KiB)', () => {
    for (const split of [whole, byteByByte]) {
      const harness = withLimits({ commandLineBytes: 20 }).server(GREETING).client('NOOP\r\nUSER a-very-long-user-name\r\n', split);
      assert.deepEqual(hits(harness), [{ kind: 'protocolError', side: 'client', limit: 'pop3.commandLineBytes', value: 20 }]);
      assert.equal(harness.clientText, `${GREETING}-ERR inboxguard: command line too long\r\n`);
      assert.equal(harness.serverText, 'NOOP\r\n');
    }
    const harness = new Harness().server(GREETING).client(Buffer.alloc(64 * 1024 + 1, 0x61));
    assert.deepEqual(hits(harness), [{ kind: 'protocolError', side: 'client', limit: 'pop3.commandLineBytes', value: 65536 }]);
  });

  it('pop3.saslResponseBytes applies to a line answering an AUTH challenge, not to commands', () => {
    const response = `${'A'.repeat(50)}\r\n`;
    const harness = withLimits({ saslResponseBytes: 40, commandLineBytes: 100 }).server(GREETING).client('AUTH PLAIN\r\n').server('+ \r\n').client(response);
    assert.deepEqual(hits(harness), [{ kind: 'protocolError', side: 'client', limit: 'pop3.saslResponseBytes', value: 40 }]);
    const command = withLimits({ saslResponseBytes: 40, commandLineBytes: 100 }).server(GREETING).client(`USER ${'A'.repeat(50)}\r\n`);
    assert.deepEqual(hits(command), []);
  });

  it('pop3.commandsOutstanding', () => {
    const harness = withLimits({ commandsOutstanding: 2 }).server(GREETING).client('NOOP\r\nNOOP\r\nNOOP\r\n');
    assert.deepEqual(hits(harness), [{ kind: 'protocolError', side: 'client', limit: 'pop3.commandsOutstanding', value: 2 }]);
    assert.equal(harness.serverText, 'NOOP\r\nNOOP\r\n');
  });

  it('pop3.clientBytesHeldDuringAuth', () => {
    const harness = withLimits({ clientBytesHeldDuringAuth: 10 }).server(GREETING).client('AUTH PLAIN\r\nNOOP\r\nNOOP\r\n');
    assert.deepEqual(hits(harness), [{ kind: 'protocolError', side: 'client', limit: 'pop3.clientBytesHeldDuringAuth', value: 10 }]);
    assert.ok(harness.clientText.endsWith('-ERR inboxguard: too much data sent during AUTH\r\n'));
  });

  it('pop3.statusLineBytes and pop3.multiLineBytes on the server side', () => {
    const status = withLimits({ statusLineBytes: 30 }).server(GREETING).client('NOOP\r\n').server(`+OK ${'s'.repeat(40)}\r\n`);
    assert.deepEqual(hits(status), [{ kind: 'protocolError', side: 'server', limit: 'pop3.statusLineBytes', value: 30 }]);
    assert.ok(status.clientText.endsWith('-ERR inboxguard: the server sent an invalid reply\r\n'));
    const capa = withLimits({ multiLineBytes: 30 }).server(GREETING).client('CAPA\r\n').server(`+OK\r\nUSER\r\nX-${'c'.repeat(40)}\r\n.\r\n`);
    assert.deepEqual(hits(capa), [{ kind: 'protocolError', side: 'server', limit: 'pop3.multiLineBytes', value: 30 }]);
    assert.equal(capa.clientText, `${GREETING}+OK\r\nUSER\r\n-ERR inboxguard: the server sent an invalid reply\r\n`);
  });
});

describe('LineAssembler.takeLine (the engines\' per-line path)', () => {
  it('gives a chunk that is one whole line itself, and lines inside a chunk as views of it, with lineEnd after each', () => {
    const assembler = new LineAssembler();
    const single = b('a1 NOOP\r\n');
    assert.equal(assembler.takeLine(single, 0, 100), single);
    assert.equal(assembler.lineEnd, single.length);
    const two = b('a1 NOOP\r\na2 NOOP\r\n');
    const first = assembler.takeLine(two, 0, 100);
    assert.ok(Buffer.isBuffer(first) && first !== two && first.buffer === two.buffer);
    assert.equal(first.toString('latin1'), 'a1 NOOP\r\n');
    assert.equal(assembler.lineEnd, 9);
    const second = assembler.takeLine(two, 9, 100);
    assert.ok(Buffer.isBuffer(second) && second !== two);
    assert.equal(second.toString('latin1'), 'a2 NOOP\r\n');
    assert.equal(assembler.lineEnd, two.length);
  });

  it('answers NEED_MORE_LINE and TOO_LONG_LINE as take() answers needMore and tooLong', () => {
    const assembler = new LineAssembler();
    assert.equal(assembler.takeLine(b('a1 NO'), 0, 100), NEED_MORE_LINE);
    const rest = b('OP\r\n');
    const joined = assembler.takeLine(rest, 0, 100);
    assert.ok(Buffer.isBuffer(joined));
    assert.equal(joined.toString('latin1'), 'a1 NOOP\r\n');
    assert.equal(assembler.takeLine(b('0123456789\r\n'), 0, 5), TOO_LONG_LINE);
    assert.deepEqual(assembler.take(b('0123456789\r\n'), 0, 5), { kind: 'tooLong', maxLineBytes: 5 });
  });
});
