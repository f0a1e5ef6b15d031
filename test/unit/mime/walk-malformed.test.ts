import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { walkMessage } from '../../../src/mime/index.js';
import type { WalkResult } from '../../../src/mime/types.js';
import { assertBounded, workOf } from './bounded-work.js';
import { EICAR, base64Lines, lines, message } from './messages.js';

/** Walks `buffer`, checking that the work stayed bounded and linear in its lines (timings: scripts/bench). */
function walkBounded(buffer: Buffer): WalkResult {
  const result = walkMessage(buffer);
  assertBounded(buffer, workOf(result));
  return result;
}

function deeplyNested(depth: number): Buffer {
  const opening: string[] = ['Content-Type: multipart/mixed; boundary="n0"', ''];
  const closing: string[] = [];
  for (let level = 1; level < depth; level++) {
    opening.push(`--n${level - 1}`, `Content-Type: multipart/mixed; boundary="n${level}"`, '');
    closing.unshift(`--n${level}--`);
  }
  return message(lines(...opening, `--n${depth - 1}`, 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', base64Lines(EICAR), `--n${depth - 1}--`, ...closing, '--n0--', ''));
}

describe('walkMessage on broken structure', () => {
  it('reads a multipart without closing boundary to the end and flags it', () => {
    const result = walkMessage(message(lines('Content-Type: multipart/mixed; boundary=b', '', '--b', '', 'one', '--b', 'Content-Type: text/html', '', 'two', 'last line')));
    assert.deepEqual(result.parts.map((part) => [part.path, part.decode().toString()]), [['1', 'one'], ['2', 'two\r\nlast line']]);
    assert.match(result.malformed ?? '', /missing closing boundary/);
  });

  it('reads the body of a multipart whose boundary never appears as one part and flags it', () => {
    const body = lines('--wrong', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', base64Lines(EICAR), '--wrong--', '');
    const result = walkMessage(message(lines('Content-Type: multipart/mixed; boundary=expected', '', body)));
    assert.equal(result.parts.length, 1);
    assert.equal(result.parts[0].path, '1');
    assert.ok(result.parts[0].decode().toString().includes(base64Lines(EICAR)));
    assert.match(result.malformed ?? '', /no part found for the multipart boundary/);
  });

  it('flags a multipart without boundary parameter', () => {
    const result = walkMessage(message(lines('Content-Type: multipart/mixed', '', '--b', '', 'x', '--b--', '')));
    assert.equal(result.parts.length, 1);
    assert.match(result.malformed ?? '', /multipart without a boundary parameter/);
  });

  it('closes inner multiparts when an outer delimiter comes first', () => {
    const result = walkMessage(
      message(lines('Content-Type: multipart/mixed; boundary=outer', '', '--outer', 'Content-Type: multipart/alternative; boundary=inner', '', '--inner', '', 'a', '--outer', '', 'b', '--outer--', '')),
    );
    assert.deepEqual(result.parts.map((part) => [part.path, part.decode().toString()]), [['1.1', 'a'], ['2', 'b']]);
    assert.match(result.malformed ?? '', /missing closing boundary/);
  });

  it('flags garbage in base64 but decodes what is there', () => {
    const garbage = `${base64Lines(EICAR)}\r\n<<<this is not base64>>>`;
    const result = walkMessage(message(lines('Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', garbage)));
    assert.match(result.malformed ?? '', /not base64/);
    assert.ok(result.parts[0].decode().subarray(0, EICAR.length).equals(Buffer.from(EICAR, 'latin1')));
  });

  it('flags an unknown transfer encoding and returns the bytes as they are', () => {
    const result = walkMessage(message(lines('Content-Transfer-Encoding: x-rot13', '', 'uryyb')));
    assert.equal(result.parts[0].decode().toString(), 'uryyb');
    assert.match(result.malformed ?? '', /unknown transfer encoding "x-rot13"/);
  });
});

describe('walkMessage limits and hostile input', () => {
  it('stops descending at depth 50 in a 10,000-deep nesting, keeps the rest as one part, with bounded work', () => {
    const buffer = deeplyNested(10_000);
    const result = walkBounded(buffer);
    assert.match(result.malformed ?? '', /MIME nesting deeper than 50/);
    const deepest = result.parts.find((part) => part.path.split('.').length === 50);
    assert.ok(deepest, 'a part at depth 50');
    // The EICAR body is still inside one of the parts the scanner gets to see.
    assert.ok(result.parts.some((part) => part.decode().includes(base64Lines(EICAR))));
  });

  it('honours a smaller depth limit', () => {
    const result = walkMessage(deeplyNested(5), { maxDepth: 2 });
    assert.match(result.malformed ?? '', /deeper than 2/);
    assert.deepEqual(result.parts.map((part) => part.path), ['1.1']);
  });

  it('handles a 100,000-line header with bounded work, reading the first 10,000 lines', () => {
    const buffer = message(`Subject: x\r\n${'X-Filler: y\r\n'.repeat(100_000)}Content-Type: application/octet-stream\r\n\r\nbody`);
    const result = walkBounded(buffer);
    assert.match(result.malformed ?? '', /more than 10000 header lines/);
    assert.equal(result.parts.length, 1);
    assert.equal(result.parts[0].decode().toString(), 'body');
  });

  it('handles a header over 1 MiB and a 2 MB header value', () => {
    const value = `${'a'.repeat(2 * 1024 * 1024)}`;
    const result = walkBounded(message(`Subject: ${value}\r\nContent-Type: text/plain\r\n\r\nbody`));
    assert.match(result.malformed ?? '', /header larger than 1048576 bytes/);
    assert.equal(result.parts[0].decode().toString(), 'body');
  });

  it('stops at the part limit and keeps the rest as one part', () => {
    const parts = Array.from({ length: 30 }, (_, index) => `--b\r\n\r\npart ${index}`).join('\r\n');
    const result = walkMessage(message(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${parts}\r\n--b--\r\n`), { maxParts: 10 });
    assert.match(result.malformed ?? '', /more than 10 MIME parts/);
    assert.equal(result.parts.length, 10);
    assert.ok(result.parts[9].decode().toString().includes('part 29'));
  });

  it('handles 20,000 sibling parts with bounded work', () => {
    const parts = Array.from({ length: 20_000 }, () => '--b\r\nContent-Type: text/plain\r\n\r\nx').join('\r\n');
    const result = walkBounded(message(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${parts}\r\n--b--\r\n`));
    assert.match(result.malformed ?? '', /more than 10000 MIME parts/);
    assert.equal(result.parts.length, 10_000);
  });

  it('tolerates NUL bytes in headers (flagged) and 8-bit bytes in headers and bodies (not flagged)', () => {
    const buffer = Buffer.concat([
      Buffer.from('Subject: \0caf\xe9\xff\r\nContent-Type: multipart/mixed; boundary=b\r\nX-\0: \x80\r\n\r\n--b\r\n', 'latin1'),
      Buffer.from('Content-Type: application/octet-stream; name="\0\xfe.bin"\r\n\r\na\0b\r\n--b--\r\n', 'latin1'),
    ]);
    const result = walkBounded(buffer);
    assert.equal(result.parts.length, 1);
    assert.equal(result.parts[0].decode().toString('latin1'), 'a\0b');
    assert.equal(result.parts[0].fileName, '\0\xfe.bin');
    assert.match(result.malformed ?? '', /NUL byte in header/);
    const eightBit = walkMessage(Buffer.from('Subject: caf\xe9\r\nX-Name: \xff\xfe\r\n\r\nbody \x80', 'latin1'));
    assert.equal(eightBit.malformed, undefined);
    assert.equal(eightBit.parts[0].decode().toString('latin1'), 'body \x80');
  });

  it('never throws on random bytes and on truncations of a real message', () => {
    const base = message(lines('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: message/rfc822', '', 'Content-Type: multipart/alternative; boundary=c', '', '--c', 'Content-Transfer-Encoding: base64', '', base64Lines(EICAR), '--c--', '--b--', ''));
    for (let length = 0; length <= base.length; length++) {
      const result = walkMessage(base.subarray(0, length));
      for (const part of result.parts) part.decode();
    }
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let round = 0; round < 200; round++) {
      const noise = Buffer.from(Array.from({ length: 300 }, () => [0x2d, 0x0a, 0x0d, 0x3a, 0x20, random()][random() % 6]));
      const result = walkMessage(Buffer.concat([Buffer.from('Content-Type: multipart/mixed; boundary=-\r\n\r\n'), noise]));
      for (const part of result.parts) part.decode();
    }
  });

  it('handles an empty message and one without a body', () => {
    assert.deepEqual(walkMessage(Buffer.alloc(0)).parts.map((part) => part.path), ['1']);
    const headerOnly = walkMessage(Buffer.from('Subject: x\r\nFrom: y'));
    assert.equal(headerOnly.parts[0].decode().length, 0);
    assert.equal(headerOnly.malformed, undefined);
  });
});
