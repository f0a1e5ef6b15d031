import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addHeader, replaceMessage, tagSubject, walkMessage, readEnvelope } from '../../../src/mime/index.js';
import { lines, message, richMessage } from './messages.js';

function subjectOf(bytes: Buffer): string {
  const match = /^Subject:((?:.*)(?:\r?\n[ \t].*)*)/im.exec(bytes.toString('latin1'));
  assert.ok(match, 'has a Subject');
  return match[1];
}

describe('replaceMessage', () => {
  const original = message(
    lines(
      'Received: from mx.example.com',
      'From: Alice <alice@example.com>',
      'To: Bob <bob@example.com>,',
      '  Carol <carol@example.com>',
      'Cc: dave@example.com',
      'Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=',
      'Date: Mon, 1 Jan 2024 10:00:00 +0000',
      'Message-ID: <m1@example.com>',
      'In-Reply-To: <m0@example.com>',
      'References: <a@example.com>',
      '\t<m0@example.com>',
      'X-Spam: yes',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      '',
      'payload',
      '--b--',
      '',
    ),
  );

  it('keeps the identifying header fields byte for byte, folding included, and nothing else', () => {
    const replaced = replaceMessage(original, 'This message was removed: it contained a virus.').toString();
    assert.equal(
      replaced,
      lines(
        'From: Alice <alice@example.com>',
        'To: Bob <bob@example.com>,',
        '  Carol <carol@example.com>',
        'Cc: dave@example.com',
        'Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=',
        'Date: Mon, 1 Jan 2024 10:00:00 +0000',
        'Message-ID: <m1@example.com>',
        'In-Reply-To: <m0@example.com>',
        'References: <a@example.com>',
        '\t<m0@example.com>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 7bit',
        '',
        'This message was removed: it contained a virus.',
      ),
    );
  });

  it('quoted-printable-encodes a non-ASCII notice, keeps bare LF, and can keep the size', () => {
    const lf = Buffer.from(original.toString('latin1').replace(/\r\n/g, '\n').replace('payload', 'payload'.repeat(50)), 'latin1');
    const replaced = replaceMessage(lf, 'Nachricht entfernt – Virus.', { keepSize: true });
    assert.equal(replaced.length, lf.length);
    assert.ok(!replaced.includes('\r'));
    const part = walkMessage(replaced).parts[0];
    assert.equal(part.transferEncoding, 'quoted-printable');
    assert.ok(part.decode().toString('utf8').startsWith('Nachricht entfernt – Virus.'));
  });
});

describe('addHeader', () => {
  it('inserts the field at the top of the header block in the message’s line ending', () => {
    const original = richMessage();
    const added = addHeader(original, 'X-InboxGuard', 'infected; engine=clamd; version=1.0.5');
    assert.ok(added.subarray(added.length - original.length).equals(original));
    assert.equal(added.subarray(0, added.length - original.length).toString(), 'X-InboxGuard: infected; engine=clamd; version=1.0.5\r\n');
    const lf = addHeader(Buffer.from('Subject: x\n\nbody'), 'X-InboxGuard', 'clean');
    assert.equal(lf.toString(), 'X-InboxGuard: clean\nSubject: x\n\nbody');
  });

  it('flattens line breaks (no header injection), encodes non-ASCII, rejects bad names', () => {
    const added = addHeader(Buffer.from('Subject: x\r\n\r\n'), 'X-InboxGuard', 'a\r\nBcc: evil@example.com');
    assert.equal(added.toString(), 'X-InboxGuard: a Bcc: evil@example.com\r\nSubject: x\r\n\r\n');
    assert.match(addHeader(Buffer.from('\r\n'), 'X-Note', 'Grüße').toString(), /^X-Note: =\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe\?=\r\n/);
    assert.throws(() => addHeader(Buffer.from('\r\n'), 'Bad Name', 'x'), /invalid header field name/);
  });
});

describe('tagSubject', () => {
  it('prefixes a plain ASCII subject', () => {
    const tagged = tagSubject(message(lines('From: a', 'Subject: Invoice', '', 'body')), '[VIRUS]');
    assert.equal(tagged.toString(), lines('From: a', 'Subject: [VIRUS] Invoice', '', 'body'));
  });

  it('adds an encoded-word carrying the space before an encoded subject, so decoders keep the gap', async () => {
    const tagged = tagSubject(message(lines('Subject: =?utf-8?B?R3LDvMOfZQ==?=', '', 'body')), '[VIRUS]');
    assert.equal(subjectOf(tagged), ' =?UTF-8?Q?=5BVIRUS=5D=20?= =?utf-8?B?R3LDvMOfZQ==?=');
    assert.equal((await readEnvelope(tagged)).subject, '[VIRUS] Grüße');
  });

  it('encodes a non-ASCII tag before a plain subject', async () => {
    const tagged = tagSubject(message(lines('Subject: Rechnung', '', 'body')), '[VÍRUS]');
    assert.equal((await readEnvelope(tagged)).subject, '[VÍRUS] Rechnung');
    assert.ok(/^[\x00-\x7f]*$/.test(tagged.toString('latin1')));
  });

  it('tags folded and raw UTF-8 subjects', async () => {
    const folded = tagSubject(message(lines('Subject:', ' folded text', '', 'b')), '[VIRUS]');
    assert.equal((await readEnvelope(folded)).subject, '[VIRUS] folded text');
    const raw = tagSubject(message(lines('Subject: Grüße', '', 'b')), '[VIRUS]');
    assert.equal((await readEnvelope(raw)).subject, '[VIRUS] Grüße');
  });

  it('adds a Subject when there is none', async () => {
    const tagged = tagSubject(message(lines('From: a@example.com', '', 'body')), '[VIRUS]');
    assert.equal(tagged.toString(), lines('From: a@example.com', 'Subject: [VIRUS]', '', 'body'));
    assert.equal((await readEnvelope(tagged)).subject, '[VIRUS]');
  });

  it('returns the same Buffer when the subject already carries the tag', () => {
    const original = message(lines('Subject: [VIRUS] Invoice', '', 'body'));
    assert.equal(tagSubject(original, '[VIRUS]'), original);
    const encoded = message(lines('Subject: =?utf-8?Q?=5BVIRUS=5D_Rechnung?=', '', 'body'));
    assert.equal(tagSubject(encoded, '[VIRUS]'), encoded);
  });

  it('leaves the body untouched', () => {
    const original = richMessage();
    const tagged = tagSubject(original, '[VIRUS]');
    const bodyStart = original.indexOf('\r\n\r\n') + 4;
    assert.ok(tagged.subarray(tagged.length - (original.length - bodyStart)).equals(original.subarray(bodyStart)));
  });
});

describe('readEnvelope (mailparser over the header block)', () => {
  it('reads addresses, subject, date and all header fields', async () => {
    const envelope = await readEnvelope(richMessage());
    assert.deepEqual(envelope.from, ['alice@example.com']);
    assert.deepEqual(envelope.to, ['bob@example.com']);
    assert.equal(envelope.subject, 'Quarterly report');
    assert.equal(envelope.messageId, '<rich@example.com>');
    assert.equal(envelope.date?.toISOString(), '2024-01-01T10:00:00.000Z');
    assert.ok(envelope.headers.some((field) => field.name === 'content-type' && field.value.startsWith('multipart/mixed')));
  });
});
