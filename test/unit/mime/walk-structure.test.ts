import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { walkMessage, walkPart } from '../../../src/mime/index.js';
import { EICAR, base64Lines, lines, message, richMessage, uuencodeLines } from './messages.js';

function byPath(buffer: Buffer) {
  const result = walkMessage(buffer);
  return { result, part: (path: string) => result.parts.find((part) => part.path === path)! };
}

describe('walkMessage part numbering (RFC 3501 §6.4.5, as Dovecot numbers)', () => {
  it('numbers mixed(alternative(text, html), attachment, …, message/rfc822(mixed(text, attachment)), text)', () => {
    const { result } = byPath(richMessage());
    assert.equal(result.malformed, undefined);
    assert.deepEqual(
      result.parts.map((part) => [part.path, part.contentType]),
      [
        ['1.1', 'text/plain'],
        ['1.2', 'text/html'],
        ['2', 'application/octet-stream'],
        ['3', 'text/plain'],
        ['4.1', 'text/plain'],
        ['4.2', 'application/x-msdownload'],
        ['5', 'text/plain'],
      ],
    );
  });

  it('numbers a single-part message "1" and a single-part message inside message/rfc822 "n.1"', () => {
    assert.deepEqual(
      walkMessage(message(lines('Subject: x', '', 'body'))).parts.map((part) => part.path),
      ['1'],
    );
    const forwarded = message(
      lines('Content-Type: multipart/mixed; boundary=b', '', '--b', '', 'text', '--b', 'Content-Type: message/rfc822', '', 'Subject: inner', '', 'inner body', '--b--', ''),
    );
    const parts = walkMessage(forwarded).parts;
    assert.deepEqual(parts.map((part) => part.path), ['1', '2.1']);
    assert.equal(parts[1].decode().toString(), 'inner body');
    assert.equal(parts[1].rawHeader.toString(), 'Subject: inner\r\n\r\n');
  });

  // Byte ranges below were checked against Dovecot 2.3.19: BODY[n] and BODY[n.MIME] return exactly these bytes.
  it('gives an empty body the line break before the delimiter, as Dovecot does', () => {
    const buffer = message(lines('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', '--b', '', 'x', '--b', '--b--', ''));
    const slice = (range: { start: number; end: number }) => buffer.subarray(range.start, range.end).toString();
    const parts = walkMessage(buffer).parts;
    assert.deepEqual(parts.map((part) => [part.path, slice(part.headerRange), slice(part.bodyRange)]), [
      ['1', 'Content-Type: text/plain\r\n', ''],
      ['2', '\r\n', 'x'],
      ['3', '', ''],
    ]);
  });

  it('reads delimiters by prefix, longest open boundary first, as Dovecot does', () => {
    const buffer = message(
      lines('Content-Type: multipart/mixed; boundary=b', '', '--b trailing junk', 'Content-Type: multipart/mixed; boundary=b1', '', '--b1', '', 'in', '--b1--', '--bxyz', '', 'two', '--b--junk', ''),
    );
    assert.deepEqual(walkMessage(buffer).parts.map((part) => [part.path, part.decode().toString()]), [['1.1', 'in'], ['2', 'two']]);
  });

  it('treats parts without Content-Type under multipart/digest as message/rfc822', () => {
    const digest = message(
      lines('Content-Type: multipart/digest; boundary=d', '', '--d', '', 'Subject: one', '', 'first', '--d', '', 'Subject: two', '', 'second', '--d--', ''),
    );
    const parts = walkMessage(digest).parts;
    assert.deepEqual(parts.map((part) => [part.path, part.decode().toString()]), [['1.1', 'first'], ['2.1', 'second']]);
  });
});

describe('walkMessage byte ranges and decoding', () => {
  it('records header and body offsets that slice the original message', () => {
    const buffer = richMessage();
    const { part } = byPath(buffer);
    const attachment = part('2');
    assert.equal(buffer.subarray(attachment.headerRange.start, attachment.headerRange.end).toString(), attachment.rawHeader.toString());
    assert.match(attachment.rawHeader.toString(), /^Content-Type: application\/octet-stream; name="eicar.com"\r\n.*\r\n\r\n$/s);
    assert.equal(buffer.subarray(attachment.bodyRange.start, attachment.bodyRange.end).toString(), base64Lines(EICAR));
    assert.equal(attachment.headerRange.end, attachment.bodyRange.start);
  });

  it('decodes base64, quoted-printable, 8bit and nested parts', () => {
    const { part } = byPath(richMessage());
    assert.equal(part('2').decode().toString('latin1'), EICAR);
    assert.equal(part('2').fileName, 'eicar.com');
    assert.equal(part('2').disposition, 'attachment');
    assert.equal(part('2').transferEncoding, 'base64');
    assert.equal(part('3').decode().toString('utf8'), 'Grüße, a soft break and = sign.');
    assert.equal(part('4.2').decode().toString('latin1'), EICAR);
    assert.equal(part('4.2').fileName, 'inner.exe');
    assert.equal(part('5').decode().toString('utf8'), 'Grüße aus Köln');
    assert.equal(part('5').transferEncoding, '8bit');
    assert.equal(part('1.1').decode().toString(), 'Hello Bob,\r\nsee attached.');
    assert.equal(part('1.1').charset, 'us-ascii');
  });

  it('decodes base64 that skips bad characters and continues after padding, flagging it', () => {
    const body = `${Buffer.from('hello ').toString('base64')}!!*\r\n${Buffer.from('world').toString('base64')}`;
    const result = walkMessage(message(lines('Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', body)));
    assert.equal(result.parts[0].decode().toString(), 'hello world');
    assert.match(result.malformed ?? '', /part 1: 3 bytes that are not base64/);
    assert.match(result.parts[0].malformed ?? '', /not base64/);
  });

  it('keeps clean base64 without padding unflagged', () => {
    const result = walkMessage(message(lines('Content-Transfer-Encoding: base64', '', 'aGVsbG8')));
    assert.equal(result.malformed, undefined);
    assert.equal(result.parts[0].decode().toString(), 'hello');
  });

  it('reads a bare-LF message the same way', () => {
    const crlf = walkMessage(richMessage());
    const lf = walkMessage(Buffer.from(richMessage().toString('latin1').replace(/\r\n/g, '\n'), 'latin1'));
    assert.deepEqual(lf.parts.map((part) => part.path), crlf.parts.map((part) => part.path));
    assert.equal(lf.parts.find((part) => part.path === '4.2')!.decode().toString('latin1'), EICAR);
    assert.equal(lf.parts.find((part) => part.path === '3')!.decode().toString('utf8'), 'Grüße, a soft break and = sign.');
  });
});

describe('walkMessage file names', () => {
  const withDisposition = (disposition: string, contentType = 'application/octet-stream') =>
    walkMessage(message(lines('Content-Type: multipart/mixed; boundary=b', '', '--b', `Content-Type: ${contentType}`, `Content-Disposition: ${disposition}`, '', 'x', '--b--', ''))).parts[0];

  it('decodes RFC 2231 names, with charset and continuations', () => {
    assert.equal(withDisposition("attachment; filename*=utf-8''%C3%A4rger.pdf").fileName, 'ärger.pdf');
    assert.equal(withDisposition("attachment; filename*0*=iso-8859-1''%E4r; filename*1=ger.pdf").fileName, 'ärger.pdf');
  });

  it('decodes RFC 2047 names and falls back to Content-Type name', () => {
    assert.equal(withDisposition('attachment; filename="=?utf-8?B?w6RyZ2VyLnBkZg==?="').fileName, 'ärger.pdf');
    assert.equal(withDisposition('attachment', 'application/pdf; name="=?iso-8859-1?Q?=E4rger.pdf?="').fileName, 'ärger.pdf');
  });

  it('does not decode encoded-words hidden inside an RFC 2231 value', () => {
    assert.equal(withDisposition("attachment; filename*=utf-8''a%3D%3Futf-8%3FQ%3F.exe%3F%3D").fileName, 'a=?utf-8?Q?.exe?=');
  });

  it('keeps bidi override characters so rules can see them', () => {
    assert.equal(withDisposition("attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe").fileName, 'invoice\u202efdp.exe');
  });

  it('reads raw UTF-8 names (RFC 6532) and keeps Latin-1 bytes readable', () => {
    const utf8 = Buffer.concat([
      Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Disposition: attachment; filename="'),
      Buffer.from('Grüße.txt', 'utf8'),
      Buffer.from('"\r\n\r\nx\r\n--b\r\nContent-Disposition: attachment; filename="'),
      Buffer.from('caf\xe9.txt', 'latin1'),
      Buffer.from('"\r\n\r\ny\r\n--b--\r\n'),
    ]);
    assert.deepEqual(walkMessage(utf8).parts.map((part) => part.fileName), ['Grüße.txt', 'café.txt']);
  });
});

describe('walkMessage uuencoded blocks', () => {
  it('surfaces uuencoded files in a text body as extra parts with their names', () => {
    const buffer = message(
      lines('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', 'See the file:', 'begin 644 eicar.com', uuencodeLines(EICAR), 'end', 'bye', '--b--', ''),
    );
    const result = walkMessage(buffer);
    assert.equal(result.malformed, undefined);
    assert.deepEqual(result.parts.map((part) => [part.path, part.origin]), [['1', 'mime'], ['1#uu1', 'uuencode']]);
    const uu = result.parts[1];
    assert.equal(uu.fileName, 'eicar.com');
    assert.equal(uu.containerPath, '1');
    assert.equal(uu.decode().toString('latin1'), EICAR);
    assert.equal(buffer.subarray(uu.bodyRange.start, uu.bodyRange.end).toString(), `begin 644 eicar.com\r\n${uuencodeLines(EICAR)}\r\nend`);
  });

  it('finds uuencoded files inside quoted-printable text and begin-base64 blocks', () => {
    const text = `hi\r\nbegin 600 a.bin\r\n${uuencodeLines('payload one')}\r\nend\r\nbegin-base64 644 b.bin\r\n${Buffer.from('payload two').toString('base64')}\r\n====\r\n`;
    const qp = text.replace(/=/g, '=3D');
    const result = walkMessage(message(lines('Content-Type: text/plain', 'Content-Transfer-Encoding: quoted-printable', '', qp)));
    const blocks = result.parts.filter((part) => part.origin === 'uuencode');
    assert.deepEqual(blocks.map((part) => [part.path, part.fileName, part.decode().toString(), part.insideEncodedText]), [
      ['1#uu1', 'a.bin', 'payload one', true],
      ['1#uu2', 'b.bin', 'payload two', true],
    ]);
  });

  it('flags a uuencoded block without its end line but still decodes it', () => {
    const result = walkMessage(message(lines('Subject: x', '', 'begin 644 x.bin', uuencodeLines('abc'))));
    assert.equal(result.parts[1].decode().toString(), 'abc');
    assert.match(result.malformed ?? '', /no "end" line/);
  });
});

describe('walkPart (single-part fetches such as BODY[2])', () => {
  it('decodes a body with the transfer encoding the client knows', () => {
    const result = walkPart(Buffer.from(base64Lines(EICAR)), { header: { transferEncoding: 'BASE64' }, path: '2' });
    assert.equal(result.parts.length, 1);
    assert.equal(result.parts[0].path, '2');
    assert.equal(result.parts[0].contentType, 'application/octet-stream');
    assert.equal(result.parts[0].decode().toString('latin1'), EICAR);
  });

  it('reads the MIME header when it is given as bytes (BODY[n.MIME])', () => {
    const header = Buffer.from('Content-Type: application/zip; name="a.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n');
    const result = walkPart(Buffer.from(base64Lines('PK')), { header, path: '3' });
    assert.deepEqual(walkPart(Buffer.from(base64Lines('PK')), header).parts.map((part) => [part.path, part.fileName]), [['1', 'a.zip']]);
    assert.equal(result.parts[0].fileName, 'a.zip');
    assert.equal(result.parts[0].rawHeader, header);
    assert.equal(result.parts[0].decode().toString(), 'PK');
  });

  it('walks a multipart or message/rfc822 body below the given part number', () => {
    const alternative = Buffer.from(lines('--alt', 'Content-Type: text/plain', '', 'plain', '--alt', 'Content-Type: text/html', '', 'html', '--alt--', ''));
    const nested = walkPart(alternative, { header: { contentType: 'multipart/alternative', params: { boundary: 'alt' } }, path: '1' });
    assert.deepEqual(nested.parts.map((part) => [part.path, part.decode().toString()]), [['1.1', 'plain'], ['1.2', 'html']]);
    const forwarded = walkPart(Buffer.from(lines('Subject: inner', 'Content-Transfer-Encoding: base64', '', Buffer.from('hi').toString('base64'))), {
      header: { contentType: 'message/rfc822' },
      path: '4',
    });
    assert.deepEqual(forwarded.parts.map((part) => [part.path, part.decode().toString()]), [['4.1', 'hi']]);
  });

  it('treats a body without any header as application/octet-stream, 7bit', () => {
    const result = walkPart(Buffer.from('raw bytes'));
    assert.deepEqual([result.parts[0].path, result.parts[0].contentType, result.parts[0].transferEncoding], ['1', 'application/octet-stream', '7bit']);
  });
});
