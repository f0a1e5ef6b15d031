import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DotStuffer, DotUnstuffer } from '../../../src/pop3/dot-stuffing.js';

const TERMINATOR = Buffer.from('.\r\n', 'latin1');

/** Lines made mostly of the bytes that matter here: ".", CR, and a few others. */
const lineBytes = fc
  .array(fc.oneof(fc.constantFrom(0x2e, 0x2e, 0x0d, 0x20, 0x61), fc.integer({ min: 0, max: 255 }).filter((b) => b !== 0x0a)), {
    maxLength: 12,
  })
  .map((bytes) => Buffer.from(bytes));

const specialLine = fc.constantFrom('', '.', '..', '...', '.\r', '. ', 'x.', '\r').map((text) => Buffer.from(text, 'latin1'));

/** Content made of CRLF-terminated lines, including lines that are exactly ".". */
const crlfContent = fc
  .array(fc.oneof(lineBytes, specialLine), { maxLength: 12 })
  .map((lines) => Buffer.concat(lines.map((line) => Buffer.concat([line, Buffer.from('\r\n')]))));

/** Any bytes at all, bare LFs included. */
const anyBytes = fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes));

/** Cut points for splitting a buffer into chunks (sorted, possibly repeated for empty chunks). */
function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const points = cuts.map((cut) => cut % (data.length + 1)).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(data.subarray(from, point));
    from = point;
  }
  chunks.push(data.subarray(from));
  return chunks;
}

const cuts = fc.array(fc.nat({ max: 10_000 }), { maxLength: 10 });

function stuff(chunks: Buffer[]): Buffer {
  const stuffer = new DotStuffer();
  return Buffer.concat([...chunks.map((chunk) => stuffer.push(chunk)), stuffer.end()]);
}

function unstuff(chunks: Buffer[]): { content: Buffer; consumed: number; done: boolean } {
  const unstuffer = new DotUnstuffer();
  const parts: Buffer[] = [];
  let consumed = 0;
  for (const chunk of chunks) {
    if (unstuffer.done) break;
    const result = unstuffer.push(chunk);
    if (result.content) parts.push(Buffer.from(result.content));
    consumed += result.end;
  }
  return { content: Buffer.concat(parts), consumed, done: unstuffer.done };
}

describe('DotStuffer', () => {
  it('stuffs lines that begin with a dot, including a lone "."', () => {
    const stuffer = new DotStuffer();
    const out = Buffer.concat([stuffer.push(Buffer.from('.\r\nab\r\n..c\r\n.')), stuffer.push(Buffer.from('x\r\n')), stuffer.end()]);
    assert.equal(out.toString(), '..\r\nab\r\n...c\r\n..x\r\n');
  });

  it('end() completes a last line without line ending so the terminator stands alone', () => {
    const complete = (text: string): string => {
      const stuffer = new DotStuffer();
      return stuffer.push(Buffer.from(text, 'latin1')).toString('latin1') + stuffer.end().toString('latin1');
    };
    assert.equal(complete('abc'), 'abc\r\n');
    assert.equal(complete('abc\r'), 'abc\r\n');
    assert.equal(complete('abc\n'), 'abc\n');
    assert.equal(complete('.'), '..\r\n');
    assert.equal(complete(''), '');
    assert.equal(new DotStuffer().end().length, 0);
  });

  it('gives the same output however the content is chunked', () => {
    fc.assert(
      fc.property(anyBytes, cuts, (content, at) => {
        assert.deepEqual(stuff(splitAt(content, at)), stuff([content]));
      }),
      { numRuns: 2000 },
    );
  });

  it('returns the input itself when nothing needs stuffing', () => {
    const chunk = Buffer.from('no dots at line starts.\r\nnone.\r\n');
    assert.equal(new DotStuffer().push(chunk), chunk);
  });
});

describe('DotUnstuffer', () => {
  it('round-trips CRLF content through stuffing, terminator and random chunking', () => {
    fc.assert(
      fc.property(crlfContent, cuts, cuts, fc.uint8Array({ maxLength: 8 }), (content, stuffCuts, readCuts, trailing) => {
        const wire = Buffer.concat([stuff(splitAt(content, stuffCuts)), TERMINATOR]);
        const result = unstuff(splitAt(Buffer.concat([wire, Buffer.from(trailing)]), readCuts));
        assert.ok(result.done);
        assert.deepEqual(result.content, content);
        // It stops right after the terminator; what follows belongs to the next reply.
        assert.equal(result.consumed, wire.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('says it removed a dot exactly when stuffing changed the content (else the wire bytes are the content)', () => {
    fc.assert(
      fc.property(fc.oneof(crlfContent, anyBytes), cuts, (raw, readCuts) => {
        const content = raw.length === 0 || raw[raw.length - 1] === 0x0a ? raw : Buffer.concat([raw, Buffer.from('\r\n')]);
        const stuffedContent = stuff([content]);
        const unstuffer = new DotUnstuffer();
        for (const chunk of splitAt(Buffer.concat([stuffedContent, TERMINATOR]), readCuts)) if (!unstuffer.done) unstuffer.push(chunk);
        assert.ok(unstuffer.done);
        assert.equal(unstuffer.unstuffedAny, !stuffedContent.equals(content));
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips any bytes ending with a line ending (bare LF included)', () => {
    fc.assert(
      fc.property(anyBytes, cuts, (raw, readCuts) => {
        const content = raw.length === 0 || raw[raw.length - 1] === 0x0a ? raw : Buffer.concat([raw, Buffer.from('\r\n')]);
        const wire = Buffer.concat([stuff([content]), TERMINATOR]);
        const result = unstuff(splitAt(wire, readCuts));
        assert.ok(result.done);
        assert.deepEqual(result.content, content);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads back content that end() had to complete as the content plus its completion', () => {
    fc.assert(
      fc.property(anyBytes, (content) => {
        const stuffer = new DotStuffer();
        const stuffed = stuffer.push(content);
        const completion = stuffer.end();
        const result = unstuff([Buffer.concat([stuffed, completion, TERMINATOR])]);
        assert.ok(result.done);
        assert.deepEqual(result.content, Buffer.concat([content, completion]));
        if (content.length > 0 && content[content.length - 1] !== 0x0a) assert.ok(completion.length > 0);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads an empty body and a bare-LF terminator', () => {
    assert.deepEqual(unstuff([Buffer.from('.\r\n')]), { content: Buffer.alloc(0), consumed: 3, done: true });
    assert.deepEqual(unstuff([Buffer.from('a\n.\n+OK')]), { content: Buffer.from('a\n'), consumed: 4, done: true });
    const unstuffer = new DotUnstuffer();
    unstuffer.push(Buffer.from('.\r\n'));
    assert.deepEqual(unstuffer.terminator, Buffer.from('.\r\n'));
  });

  it('treats "." followed by CR and something else as a stuffed line', () => {
    assert.deepEqual(unstuff([Buffer.from('.\rx\r\n.\r\n')]).content, Buffer.from('\rx\r\n'));
    assert.deepEqual(unstuff([Buffer.from('.'), Buffer.from('\r'), Buffer.from('x\r\n.\r\n')]).content, Buffer.from('\rx\r\n'));
  });

  it('reports the undecided raw bytes at a chunk end', () => {
    const unstuffer = new DotUnstuffer();
    const first = unstuffer.push(Buffer.from('ab\r\n.'));
    assert.equal(first.content?.toString(), 'ab\r\n');
    assert.equal(unstuffer.pendingRaw().toString(), '.');
    unstuffer.push(Buffer.from('\r'));
    assert.equal(unstuffer.pendingRaw().toString(), '.\r');
    const last = unstuffer.push(Buffer.from('\n'));
    assert.ok(last.done);
    assert.equal(unstuffer.pendingRaw().length, 0);
  });

  it('hands out views of the input when no dot is removed', () => {
    const chunk = Buffer.from('line one\r\nline two\r\n');
    const result = new DotUnstuffer().push(chunk);
    assert.equal(result.content?.buffer, chunk.buffer);
  });
});
