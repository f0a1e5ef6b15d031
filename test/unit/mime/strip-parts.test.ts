import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replaceMessageKeepingSize, stripParts, walkMessage, type MimePart } from '../../../src/mime/index.js';
import { EICAR, base64Lines, lines, message, richMessage, uuencodeLines } from './messages.js';

/** Short enough to fit in place of the tiny EICAR attachment, which is what size preservation is about. */
const NOTICE = 'Removed: Eicar-Test-Signature.\nIn quarantine.';
const LONG_NOTICE = 'inboxguard removed this attachment because it contains Eicar-Test-Signature.\nThe original is kept in quarantine.';

function partAt(buffer: Buffer, path: string): MimePart {
  const part = walkMessage(buffer).parts.find((candidate) => candidate.path === path);
  assert.ok(part, `part ${path}`);
  return part;
}

/** Bytes before `start` and after `end` are identical in both buffers (same size assumed). */
function assertIdenticalOutside(original: Buffer, rewritten: Buffer, start: number, end: number): void {
  assert.equal(rewritten.length, original.length);
  assert.ok(rewritten.subarray(0, start).equals(original.subarray(0, start)), 'prefix unchanged');
  assert.ok(rewritten.subarray(end).equals(original.subarray(end)), 'suffix unchanged');
}

describe('stripParts', () => {
  it('replaces a base64 attachment by a notice part of exactly the same size', () => {
    const original = richMessage();
    const removed = partAt(original, '2');
    const { bytes, sizePreserved } = stripParts(original, [{ partPath: '2', notice: NOTICE }]);
    assert.equal(sizePreserved, true);
    assertIdenticalOutside(original, bytes, removed.headerRange.start, removed.bodyRange.end);

    const after = walkMessage(bytes);
    assert.equal(after.malformed, undefined);
    assert.deepEqual(after.parts.map((part) => part.path), walkMessage(original).parts.map((part) => part.path));
    const replacement = after.parts.find((part) => part.path === '2')!;
    assert.equal(replacement.contentType, 'text/plain');
    assert.equal(replacement.charset, 'utf-8');
    assert.equal(replacement.fileName, 'eicar.com.removed.txt');
    assert.equal(replacement.disposition, 'attachment');
    assert.equal(replacement.transferEncoding, '7bit');
    const text = replacement.decode().toString();
    assert.ok(text.startsWith(NOTICE.replace('\n', '\r\n')), text);
    assert.match(text.slice(NOTICE.length + 1), /^[ \r\n]*$/);
    assert.ok(!bytes.subarray(removed.headerRange.start, removed.bodyRange.end).includes(base64Lines(EICAR).split('\r\n')[0]));
  });

  it('removes several parts, including one inside a forwarded message, keeping the size', () => {
    const original = richMessage();
    // 4.2 is a 189-byte part: the replacement headers leave room for a 15-byte notice only.
    const { bytes, sizePreserved } = stripParts(original, [
      { partPath: '4.2', notice: 'Virus removed.' },
      { partPath: '2', notice: NOTICE },
    ]);
    assert.equal(sizePreserved, true);
    assert.equal(bytes.length, original.length);
    const after = walkMessage(bytes);
    assert.deepEqual(after.parts.filter((part) => part.fileName?.endsWith('.removed.txt')).map((part) => part.path), ['2', '4.2']);
    assert.equal(after.parts.find((part) => part.path === '4.1')!.decode().toString(), 'inner text');
    assert.equal(after.parts.find((part) => part.path === '3')!.decode().toString(), 'Grüße, a soft break and = sign.');
  });

  it('removes a whole forwarded message (a container) and ignores removals inside it', () => {
    const original = richMessage();
    const { bytes, sizePreserved } = stripParts(original, [
      { partPath: '4', notice: NOTICE },
      { partPath: '4.2', notice: NOTICE },
    ]);
    assert.equal(sizePreserved, true);
    const after = walkMessage(bytes);
    assert.deepEqual(after.parts.map((part) => part.path), ['1.1', '1.2', '2', '3', '4', '5']);
    assert.equal(after.parts[4].fileName, 'forwarded.eml.removed.txt');
  });

  it('uses quoted-printable for a non-ASCII notice and encodes non-ASCII and bidi names safely', () => {
    const original = message(
      lines(
        'Content-Type: multipart/mixed; boundary=b',
        '',
        '--b',
        "Content-Disposition: attachment; filename*=utf-8''Rechnung%E2%80%AEfdp.exe",
        'Content-Transfer-Encoding: base64',
        '',
        base64Lines(Buffer.alloc(2000, 1)),
        '--b--',
        '',
      ),
    );
    const notice = 'Anhang entfernt – Virus gefunden.';
    const { bytes, sizePreserved } = stripParts(original, [{ partPath: '1', notice }]);
    assert.equal(sizePreserved, true);
    const replacement = walkMessage(bytes).parts[0];
    assert.equal(replacement.transferEncoding, 'quoted-printable');
    assert.equal(replacement.fileName, 'Rechnung_fdp.exe.removed.txt');
    assert.ok(replacement.decode().toString('utf8').startsWith(notice));
    assert.equal(replacement.params.name, 'Rechnung_fdp.exe.removed.txt');
    assert.ok(/^[\x00-\x7f]*$/.test(bytes.toString('latin1')), 'all ASCII on the wire');

    const umlauts = message(lines('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Disposition: attachment; filename="=?utf-8?Q?=C3=A4rger.pdf?="', '', 'x'.repeat(3000), '--b--', ''));
    const renamed = walkMessage(stripParts(umlauts, [{ partPath: '1', notice: NOTICE }]).bytes).parts[0];
    assert.equal(renamed.fileName, 'ärger.pdf.removed.txt');
    assert.equal(renamed.params.name, 'ärger.pdf.removed.txt');
  });

  it('keeps the size when the part is smaller than the notice: the replacement shrinks to a bare part', () => {
    const original = message(lines('Content-Type: multipart/mixed; boundary=b', '', '--b', '', 'tiny', '--b', '', 'kept', '--b--', ''));
    const { bytes, sizePreserved, noticeForms } = stripParts(original, [{ partPath: '1', notice: LONG_NOTICE, shortNotice: 'Short.', minimalNotice: 'Removed by inboxguard: q-1' }]);
    assert.equal(sizePreserved, true);
    assert.deepEqual(noticeForms, ['bare']);
    assert.equal(bytes.length, original.length);
    const after = walkMessage(bytes);
    assert.equal(after.malformed, undefined);
    assert.equal(after.parts[0].contentType, 'text/plain');
    assert.doesNotMatch(after.parts[0].decode().toString(), /tiny/);
    assert.equal(after.parts[1].decode().toString(), 'kept');
  });

  it('steps down from the full notice to the short notice, the minimal part and the bare part as the part shrinks', () => {
    const notices = { notice: LONG_NOTICE, shortNotice: 'inboxguard removed this part: Eicar-Test-Signature.', minimalNotice: 'Removed by inboxguard: q-0123456789abcdef0123' };
    const seen = new Map<string, number>();
    for (let size = 0; size <= 400; size++) {
      const content = 'x'.repeat(size);
      const original = message(lines('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: application/octet-stream; name="a.exe"', '', content, '--b', '', 'kept', '--b--', ''));
      const { bytes, sizePreserved, noticeForms } = stripParts(original, [{ partPath: '1', ...notices }]);
      assert.equal(sizePreserved, true, `size ${size}`);
      assert.equal(bytes.length, original.length, `size ${size}`);
      const after = walkMessage(bytes);
      assert.equal(after.parts[1].decode().toString(), 'kept', `size ${size}`);
      const text = after.parts[0].decode().toString();
      const form = noticeForms![0];
      if (!seen.has(form)) seen.set(form, size);
      if (form === 'full') assert.ok(text.startsWith(LONG_NOTICE.replace('\n', '\r\n')));
      if (form === 'short') assert.ok(text.startsWith(notices.shortNotice) && after.parts[0].fileName === 'a.exe.removed.txt');
      if (form === 'minimal') assert.ok(text.startsWith(notices.minimalNotice) && after.parts[0].contentType === 'text/plain');
    }
    assert.deepEqual([...seen.keys()], ['bare', 'minimal', 'short', 'full'], 'every step is taken, largest notice last');
    // The minimal part is "Content-Type: text/plain", an empty line and the one-line notice: it fits parts over 80 bytes.
    assert.ok(seen.get('minimal')! + 'Content-Type: application/octet-stream; name="a.exe"\r\n\r\n'.length <= 80);
  });

  it('keeps the message header when the removed part is the whole single-part body', () => {
    const original = message(
      lines('From: a@example.com', 'Subject: payload', 'Content-Type: application/octet-stream; name="x.exe"', 'Content-Transfer-Encoding: base64', 'X-Other: kept', '', base64Lines(Buffer.alloc(3000, 9))),
    );
    const { bytes, sizePreserved } = stripParts(original, [{ partPath: '1', notice: NOTICE }]);
    assert.equal(sizePreserved, true);
    const text = bytes.toString();
    assert.ok(text.startsWith('From: a@example.com\r\nSubject: payload\r\nX-Other: kept\r\nMIME-Version: 1.0\r\nContent-Type: text/plain'), text.slice(0, 200));
    const part = walkMessage(bytes).parts[0];
    assert.equal(part.fileName, 'x.exe.removed.txt');
    assert.ok(part.decode().toString().startsWith('Removed: Eicar'));
  });

  it('replaces a uuencoded block inside a text body in place, keeping the text around it', () => {
    const before = 'Here is the file:\r\n';
    const after = '\r\nRegards';
    const original = message(lines('Content-Type: text/plain; charset=us-ascii', '', `${before}begin 644 eicar.com`, uuencodeLines(EICAR), `end${after}`));
    const block = partAt(original, '1#uu1');
    const { bytes, sizePreserved } = stripParts(original, [{ partPath: '1#uu1', notice: 'Virus entfernt – eicar.com' }]);
    assert.equal(sizePreserved, true);
    assertIdenticalOutside(original, bytes, block.bodyRange.start, block.bodyRange.end);
    const text = walkMessage(bytes).parts[0].decode().toString();
    assert.ok(text.startsWith(`${before}Virus entfernt ? eicar.com`), text);
    assert.ok(text.endsWith(after));
    assert.equal(walkMessage(bytes).parts.length, 1);
  });

  it('replaces the whole text part when the uuencoded block sits in quoted-printable text', () => {
    const qp = `${'hello world '.repeat(20)}\r\nbegin 644 x.com\r\n${uuencodeLines(EICAR)}\r\nend\r\n`.replace(/=/g, '=3D');
    const original = message(lines('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Transfer-Encoding: quoted-printable', '', qp, '--b--', ''));
    const { bytes, sizePreserved } = stripParts(original, [{ partPath: '1#uu1', notice: NOTICE }]);
    assert.equal(sizePreserved, true);
    const after = walkMessage(bytes).parts;
    assert.deepEqual(after.map((part) => [part.path, part.fileName]), [['1', 'x.com.removed.txt']]);
  });

  it('keeps bare LF line endings', () => {
    const original = Buffer.from(richMessage().toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const { bytes, sizePreserved } = stripParts(original, [{ partPath: '2', notice: NOTICE }]);
    assert.equal(sizePreserved, true);
    assert.ok(!bytes.includes('\r'));
    assert.equal(walkMessage(bytes).parts.find((part) => part.path === '2')!.fileName, 'eicar.com.removed.txt');
  });

  it('returns the same Buffer when there is nothing to remove', () => {
    const original = richMessage();
    const result = stripParts(original, []);
    assert.equal(result.bytes, original);
    assert.equal(result.sizePreserved, true);
  });

  it('rejects a path that names no part', () => {
    assert.throws(() => stripParts(richMessage(), [{ partPath: '9', notice: NOTICE }]), /no removable MIME part "9"/);
    assert.throws(() => stripParts(richMessage(), [{ partPath: '2#uu1', notice: NOTICE }]), /no removable MIME part "2#uu1"/);
  });

  it('keeps a delimiter on its own line when the removed part has an empty body or ends with a closing delimiter', () => {
    const original = message(
      lines(
        'Content-Type: multipart/mixed; boundary=outer',
        '',
        '--outer',
        'Content-Type: application/octet-stream; name="a.bin"',
        `X-Filler: ${'x'.repeat(300)}`,
        '',
        '--outer',
        'Content-Type: multipart/alternative; boundary=inner',
        '',
        '--inner',
        '',
        'x'.repeat(600),
        '--inner--',
        '--outer',
        '',
        'last',
        '--outer--',
        '',
      ),
    );
    const paths = walkMessage(original).parts.map((part) => part.path);
    for (const partPath of ['1', '2']) {
      const { bytes, sizePreserved } = stripParts(original, [{ partPath, notice: 'removed' }]);
      assert.equal(sizePreserved, true, partPath);
      const after = walkMessage(bytes);
      assert.equal(after.malformed, undefined, partPath);
      assert.equal(after.parts.at(-1)!.decode().toString(), 'last');
      if (partPath === '1') assert.deepEqual(after.parts.map((part) => part.path), paths);
    }
  });
});

describe('replacements never grow the message', () => {
  it('a header-only message replaced whole keeps its size: the kept fields alone, padded', () => {
    const original = Buffer.from('From: a@example.com\r\nSubject: all of it is kept\r\nDate: Mon, 01 Jan 2024 12:00:00 +0000\r\n', 'latin1');
    const replaced = replaceMessageKeepingSize(original, { full: 'inboxguard withheld this message.', minimal: 'Withheld by inboxguard: q-1' });
    assert.deepEqual([replaced.sizePreserved, replaced.noticeForms, replaced.bytes.length], [true, ['bare'], original.length]);
    assert.ok(replaced.bytes.equals(original), 'nothing but kept fields: there is no body to withhold');
  });

  it('a part of one byte or none is replaced by padding alone', () => {
    for (const part of ['', 'x']) {
      const original = message(lines('Content-Type: multipart/mixed; boundary=b', '', '--b', part, '--b', '', 'kept', '--b--', ''));
      const { bytes, sizePreserved } = stripParts(original, [{ partPath: '1', notice: LONG_NOTICE }]);
      assert.equal(sizePreserved, true);
      assert.equal(bytes.length, original.length);
      assert.equal(walkMessage(bytes).parts.at(-1)?.decode().toString(), 'kept');
    }
  });
});
