// A section fetched on its own (IMAP BODY[n], BINARY[n], BODY[TEXT]) is decoded and kept as what the
// engine learnt about it: its MIME header, the header of its message — or, without them, every
// plausible reading.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BodyContext } from '../../../src/protocol/engine.js';
import { shapeOf } from '../../../src/scan/body-shape.js';
import { originalMessage } from '../../../src/scan/section-context.js';
import { EICAR, base64Lines, uuencodeLines } from '../mime/messages.js';

const QP_SPLIT = Buffer.from(`${EICAR.slice(0, 30)}=\r\n${EICAR.slice(30)}`, 'latin1');
const MESSAGE_HEADER = Buffer.from('From: a@example.org\r\nSubject: hello\r\nMessage-ID: <m1@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="zz"\r\n\r\n', 'latin1');

function part(section: string, extra: Partial<BodyContext> = {}): BodyContext {
  return { protocol: 'imap', section, isPart: true, decoded: section.startsWith('BINARY'), ...extra };
}

function decodedParts(bytes: Buffer, context: BodyContext): string[] {
  return shapeOf(bytes, context).walk.parts.map((p) => p.decode().toString('latin1'));
}

describe('a part fetched alone', () => {
  test('is decoded as its MIME header says: quoted-printable with a soft break inside the signature', () => {
    const header = Buffer.from('Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
    assert.deepEqual(decodedParts(QP_SPLIT, part('BODY[2]', { partHeader: header })), [EICAR]);
  });

  test('a header that crossed a worker boundary (a plain Uint8Array) is read the same', () => {
    const header = new Uint8Array(Buffer.from('Content-Transfer-Encoding: quoted-printable\r\n\r\n'));
    assert.deepEqual(decodedParts(QP_SPLIT, part('BODY[2]', { partHeader: header as Buffer })), [EICAR]);
  });

  test('BINARY content is not decoded a second time, whatever the header says', () => {
    const header = Buffer.from('Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n');
    assert.deepEqual(decodedParts(Buffer.from(EICAR, 'latin1'), part('BINARY[2]', { partHeader: header })), [EICAR]);
  });

  test('a message/rfc822 part is walked into', () => {
    const inner = Buffer.from(`Subject: inner\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(EICAR)}\r\n`, 'latin1');
    const header = Buffer.from('Content-Type: message/rfc822\r\n\r\n');
    assert.ok(decodedParts(inner, part('BODY[2]', { partHeader: header })).includes(EICAR));
  });

  test('without its header, every reading is scanned: raw, base64, quoted-printable, uuencode', () => {
    const readings: Array<[string, Buffer]> = [
      ['raw', Buffer.from(EICAR, 'latin1')],
      ['base64', Buffer.from(`${base64Lines(EICAR)}\r\n`, 'latin1')],
      ['quoted-printable', QP_SPLIT],
      ['uuencode', Buffer.from(`see below\r\nbegin 644 eicar.com\r\n${uuencodeLines(EICAR)}\r\nend\r\n`, 'latin1')],
    ];
    for (const [label, bytes] of readings) {
      const shape = shapeOf(bytes, part('BODY[2]'));
      assert.ok(shape.walk.parts.some((p) => p.decode().toString('latin1') === EICAR), label);
      assert.ok(shape.walk.parts.every((p) => p.malformed === undefined), `${label}: a reading that does not fit is no finding`);
    }
  });
});

describe('a text fetched alone', () => {
  test('is walked under the header it follows, so parts are found by the real boundary', () => {
    const text = Buffer.from(`--zz\r\nContent-Type: text/plain\r\n\r\nhi\r\n--zz\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${QP_SPLIT.toString('latin1')}\r\n--zz--\r\n`, 'latin1');
    const parts = decodedParts(text, { protocol: 'imap', section: 'BODY[TEXT]', messageHeader: MESSAGE_HEADER });
    assert.ok(parts.includes(EICAR));
  });
});

describe('the original kept for a section', () => {
  test('TEXT: header + text, the whole message byte for byte', () => {
    const text = Buffer.from('--zz--\r\n');
    assert.deepEqual(originalMessage(text, { protocol: 'imap', section: 'RFC822.TEXT', messageHeader: MESSAGE_HEADER }), Buffer.concat([MESSAGE_HEADER, text]));
  });

  test('a part: the message header with the part content fields, over the part', () => {
    const partHeader = Buffer.from('Content-Type: application/octet-stream;\r\n name="x.com"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
    const kept = originalMessage(QP_SPLIT, part('BODY[3]', { partHeader, messageHeader: MESSAGE_HEADER })).toString('latin1');
    assert.equal(
      kept,
      `From: a@example.org\r\nSubject: hello\r\nMessage-ID: <m1@x>\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream;\r\n name="x.com"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${QP_SPLIT.toString('latin1')}`,
    );
  });

  test('without the message header: the section as fetched', () => {
    assert.deepEqual(originalMessage(QP_SPLIT, part('BODY[3]')), QP_SPLIT);
  });
});
