// A base64 or quoted-printable text part is decoded once per scan: the walk decodes it to look for
// uuencoded blocks, and the scan's decode() is handed that text instead of decoding the body again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeBase64 } from '../../../src/mime/decode/base64.js';
import { walkMessage, walkMessageSource } from '../../../src/mime/index.js';
import type { ByteSource } from '../../../src/mime/byte-source.js';
import { base64Lines, lines, message, uuencodeLines } from './messages.js';
import { nativeBase64Characters } from '../../helpers/native-base64-work.js';

const TEXT = `${'A line of prose, nothing to see here.'.repeat(20)}\r\n`.repeat(2000);

function withTextPart(header: string, body: string): Buffer {
  return message(lines('Content-Type: multipart/mixed; boundary=b', '', '--b', ...header.split('\n'), '', body, '--b', 'Content-Type: text/plain', '', 'second', '--b--', ''));
}

/** A source over `bytes` that counts the reads of exactly [start, end). */
function countingSource(bytes: Buffer): ByteSource & { readsOf(start: number, end: number): number } {
  const reads = new Map<string, number>();
  return {
    length: bytes.length,
    read(start, end) {
      reads.set(`${start}-${end}`, (reads.get(`${start}-${end}`) ?? 0) + 1);
      return bytes.subarray(start, end);
    },
    readsOf: (start, end) => reads.get(`${start}-${end}`) ?? 0,
  };
}

describe('an encoded text part is decoded once per scan', () => {
  it('base64 text: walking and decoding every part hands each character to the native decoder once', async () => {
    const body = base64Lines(TEXT);
    const bytes = withTextPart('Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64', body);
    const { result, characters } = await nativeBase64Characters(() => walkMessage(bytes).parts.map((part) => part.decode()));
    assert.ok(result[0].toString('latin1') === TEXT, 'decoded text');
    const once = await nativeBase64Characters(() => decodeBase64(Buffer.from(body, 'latin1')));
    assert.ok(once.characters > 0);
    assert.equal(characters, once.characters);
  });

  it('quoted-printable text: the body is read once for the search and the decode together', () => {
    const body = TEXT.replace(/nothing/g, 'n=C3=B6thing');
    const source = countingSource(withTextPart('Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable', body));
    const walk = walkMessageSource(source);
    const [part] = walk.parts;
    const { start, end } = part.bodyRange;
    assert.equal(source.readsOf(start, end), 1, 'the walk decoded it for the uuencode search');
    const decoded = part.decode();
    assert.equal(source.readsOf(start, end), 1, 'the scan got that text');
    assert.ok(decoded.toString('utf8') === TEXT.replace(/nothing/g, 'nöthing'), 'decoded text');
    // Handed over once: a later call decodes again, to the same bytes.
    assert.ok(part.decode().equals(decoded));
    assert.equal(source.readsOf(start, end), 2);
  });

  it('a part read in slices lets the kept text go: decode() afterwards reads the body again', () => {
    const source = countingSource(withTextPart('Content-Type: text/plain\nContent-Transfer-Encoding: base64', base64Lines(TEXT)));
    const [part] = walkMessageSource(source).parts;
    const sliced = Buffer.concat([...part.decodeSlices!()]);
    assert.ok(sliced.toString('latin1') === TEXT, 'decoded text');
    const { start, end } = part.bodyRange;
    const before = source.readsOf(start, end);
    assert.ok(part.decode().equals(sliced));
    assert.equal(source.readsOf(start, end), before + 1);
  });

  it('a text of 4 MiB or more (scanned in slices) is not kept: decode() reads the body again', () => {
    const large = TEXT.repeat(3);
    assert.ok(large.length >= 4 * 1024 * 1024);
    const source = countingSource(withTextPart('Content-Type: text/plain\nContent-Transfer-Encoding: base64', base64Lines(large)));
    const [part] = walkMessageSource(source).parts;
    const { start, end } = part.bodyRange;
    assert.equal(source.readsOf(start, end), 1);
    assert.ok(part.decode().toString('latin1') === large, 'decoded text');
    assert.equal(source.readsOf(start, end), 2);
  });

  it('a uuencoded block inside encoded text still decodes from the text', () => {
    const payload = randomBytes(3000);
    const text = `see below\r\nbegin 644 tool.bin\r\n${uuencodeLines(payload)}end\r\n`;
    const walk = walkMessage(withTextPart('Content-Type: text/plain\nContent-Transfer-Encoding: base64', base64Lines(text)));
    const [container, block] = walk.parts;
    assert.equal(block.path, '1#uu1');
    assert.equal(container.decode().toString('latin1'), text);
    assert.ok(block.decode().equals(payload));
    assert.ok(block.decode().equals(payload));
  });
});
