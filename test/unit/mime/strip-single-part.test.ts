import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripSinglePart } from '../../../src/mime/index.js';
import { decodeBase64 } from '../../../src/mime/decode/base64.js';
import { decodeQuotedPrintable } from '../../../src/mime/decode/quoted-printable.js';
import { base64Lines } from './messages.js';

const NOTICE = 'inboxguard: this attachment was removed (Eicar-Test-Signature).';

/** The line structure: lengths of lines and the line breaks between them. */
function layout(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[^\r\n]+/g, (line) => `<${line.length}>`);
}

function assertNoticeThenBlank(decoded: string, notice: string): void {
  assert.ok(decoded.startsWith(notice), decoded.slice(0, 100));
  assert.match(decoded.slice(notice.length), /^[ \r\n]*$/);
}

describe('stripSinglePart', () => {
  for (const [label, body] of [
    ['76-column CRLF base64', base64Lines(Buffer.alloc(5000, 0xab))],
    ['64-column LF base64 with trailing line break', `${base64Lines(Buffer.alloc(1234, 1), 64, '\n')}\n`],
    ['base64 without padding', base64Lines(Buffer.alloc(1000, 2)).replace(/=+$/, '')],
    ['one long base64 line', Buffer.alloc(3001, 3).toString('base64')],
  ] as const) {
    it(`keeps size and line layout of ${label}, decoding to the notice plus padding`, () => {
      const original = Buffer.from(body);
      const { bytes, sizePreserved } = stripSinglePart(original, 'base64', NOTICE);
      assert.equal(sizePreserved, true);
      assert.equal(bytes.length, original.length);
      assert.equal(layout(bytes), layout(original));
      assertNoticeThenBlank(decodeBase64(bytes).toString('utf8'), NOTICE);
      assert.match(bytes.toString('latin1'), /^[A-Za-z0-9+/=\r\n]*$/);
    });
  }

  it('keeps a quoted-printable part at its exact size and encodes a non-ASCII notice', () => {
    const original = Buffer.from(`${'Gr=C3=BC=C3=9Fe aus K=C3=B6ln, '.repeat(30)}=\r\nend of text\r\n`);
    const notice = 'Anhang entfernt – Virus gefunden.\nDas Original liegt in Quarantäne.';
    const { bytes, sizePreserved } = stripSinglePart(original, 'quoted-printable', notice);
    assert.equal(sizePreserved, true);
    assert.equal(bytes.length, original.length);
    assertNoticeThenBlank(decodeQuotedPrintable(bytes).toString('utf8'), notice.replace('\n', '\r\n'));
    assert.ok(bytes.toString('latin1').split('\r\n').every((line) => line.length <= 76));
  });

  for (const encoding of ['7bit', '8bit', 'binary']) {
    it(`keeps a ${encoding} part at its exact size`, () => {
      const original = Buffer.from('x'.repeat(500));
      const { bytes, sizePreserved } = stripSinglePart(original, encoding, NOTICE);
      assert.equal(sizePreserved, true);
      assert.equal(bytes.length, 500);
      assertNoticeThenBlank(bytes.toString(), NOTICE);
    });
  }

  it('writes a 7bit notice in ASCII and an 8bit notice in UTF-8', () => {
    const original = Buffer.from('y'.repeat(200));
    assert.ok(stripSinglePart(original, '7bit', 'Virus – entfernt').bytes.toString().startsWith('Virus ? entfernt'));
    assert.ok(stripSinglePart(original, '8bit', 'Virus – entfernt').bytes.toString().startsWith('Virus – entfernt'));
  });

  it('keeps the size when the notice does not fit: a shorter notice, then padding alone', () => {
    const base64 = stripSinglePart(Buffer.from('WDVP\r\nIVAl'), 'base64', NOTICE, ['Cut.']);
    assert.deepEqual([base64.sizePreserved, base64.bytes.length, base64.noticeForms], [true, 10, ['short']]);
    assert.equal(decodeBase64(base64.bytes).toString(), 'Cut.  ');
    const qp = stripSinglePart(Buffer.from('short'), 'quoted-printable', NOTICE);
    assert.deepEqual([qp.sizePreserved, qp.bytes.length, qp.noticeForms], [true, 5, ['bare']]);
    assert.doesNotMatch(decodeQuotedPrintable(qp.bytes).toString(), /short/);
    const empty = stripSinglePart(Buffer.alloc(0), '7bit', NOTICE);
    assert.deepEqual([empty.sizePreserved, empty.bytes.length], [true, 0]);
  });
});
