// readEnvelope reads the top-level header with MailParser and stops at its `headers` event; before, it ran
// simpleParser over the same header block to its end. Both must give the same envelope on every message
// the tests build or ship, on encoded words in odd and unknown charsets, and on broken headers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { simpleParser, type AddressObject, type EmailAddress } from 'mailparser';
import { readEnvelope, type MessageEnvelope } from '../../../src/mime/envelope.js';
import { latin1ToText } from '../../../src/mime/bytes.js';
import { libmime } from '../../../src/mime/libmime.js';
import { readTopHeader } from '../../../src/mime/rewrite/top-header.js';
import { DEFAULT_WALK_LIMITS } from '../../../src/mime/types.js';
import { scanCorpus } from '../../helpers/scan-corpus.js';
import { mixedMailbox, nestedAlternative, plainText, utf8Message, withAttachments, dotLines } from '../../helpers/messages.js';
import { hugeHeader, manyParts, nestedMixed, nestedRfc822 } from '../../helpers/hostile-mime.js';
import { fixtureMessages } from '../../fixtures/imap/messages.js';
import { MESSAGES as POP3_MESSAGES } from '../../fixtures/pop3/messages.js';
import { randomMime } from './random-mime.js';
import { richMessage } from './messages.js';

/** The implementation before this change (64a002b), kept as the oracle. */
async function simpleParserEnvelope(message: Buffer): Promise<MessageEnvelope> {
  const header = readTopHeader(message);
  const cap = message.length <= DEFAULT_WALK_LIMITS.maxHeaderBytes ? message.length : (message.lastIndexOf(0x0a, DEFAULT_WALK_LIMITS.maxHeaderBytes) + 1 || DEFAULT_WALK_LIMITS.maxHeaderBytes);
  const headerBlock = message.subarray(0, Math.min(header.fieldsEnd, cap));
  const parsed = await simpleParser(Buffer.concat([headerBlock, Buffer.from(`${header.eol}${header.eol}`, 'latin1')]), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
  });
  const addresses = (field: AddressObject | AddressObject[] | undefined): string[] => {
    const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
    const flatten = (entry: EmailAddress): string[] => (entry.group ? entry.group.flatMap(flatten) : entry.address ? [entry.address.toLowerCase()] : []);
    return objects.flatMap((object) => object.value.flatMap(flatten));
  };
  const unfolded = (line: string): string => {
    const value = latin1ToText(line.slice(line.indexOf(':') + 1).replace(/\r?\n(?=[ \t])/g, '')).trim();
    try {
      return libmime.decodeWords(value);
    } catch {
      return value;
    }
  };
  const envelope: MessageEnvelope = {
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    replyTo: addresses(parsed.replyTo),
    headers: parsed.headerLines.map(({ key, line }) => ({ name: key, value: unfolded(line) })),
  };
  if (parsed.subject !== undefined) envelope.subject = parsed.subject;
  if (parsed.date !== undefined && !Number.isNaN(parsed.date.getTime())) envelope.date = parsed.date;
  if (parsed.messageId !== undefined) envelope.messageId = parsed.messageId;
  return envelope;
}

/**
 * Equal envelopes, or the same failure. mailparser gives a Date header it cannot read the time of parsing: such a date must
 * be "now" on both sides, anything else the same instant.
 */
async function assertSameEnvelope(name: string, message: Buffer): Promise<void> {
  const before = Date.now();
  const [oracle, result] = await Promise.allSettled([simpleParserEnvelope(message), readEnvelope(message)]);
  const after = Date.now();
  // A header mailparser refuses (larger than its maxHeadSize) fails both ways, with the same error.
  if (oracle.status === 'rejected' || result.status === 'rejected') {
    assert.equal(result.status, oracle.status, `${name}: ${String(oracle.status === 'rejected' ? oracle.reason : result.status === 'rejected' ? result.reason : '')}`);
    assert.equal((result as PromiseRejectedResult).reason.code, (oracle as PromiseRejectedResult).reason.code, name);
    return;
  }
  const [expected, actual] = [oracle.value, result.value];
  const parsedNow = (date: Date | undefined) => date !== undefined && date.getTime() >= before && date.getTime() <= after;
  if (parsedNow(expected.date)) {
    assert.ok(parsedNow(actual.date), `${name}: an unreadable Date is the time of parsing on both sides`);
    actual.date = expected.date;
  }
  assert.deepEqual(actual, expected, name);
}

const CRLF = '\r\n';
const header = (...fields: string[]) => Buffer.from(`${fields.join(CRLF)}${CRLF}${CRLF}body${CRLF}`, 'utf8');
const latin1Header = (...fields: string[]) => Buffer.from(`${fields.join(CRLF)}${CRLF}${CRLF}body${CRLF}`, 'latin1');

/** Headers that exercise mailparser's decisions: encoded words, charsets, groups, broken syntax. */
function oddHeaders(): { name: string; bytes: Buffer }[] {
  return [
    { name: 'Q in iso-8859-1', bytes: header('Subject: =?iso-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=', 'From: =?iso-8859-1?Q?J=F6rg?= <jorg@example.de>') },
    { name: 'B in koi8-r', bytes: header('Subject: =?koi8-r?B?8NLJ18XU?=', 'To: =?koi8-r?B?8NLJ18XU?= <privet@example.ru>') },
    { name: 'shift_jis and iso-2022-jp', bytes: header('Subject: =?shift_jis?B?k/qWe4zq?=', 'Cc: =?iso-2022-jp?B?GyRCRnxLXDhsGyhC?= <jp@example.jp>') },
    { name: 'unknown charset', bytes: header('Subject: =?x-unknown?Q?abc=E9?=') },
    { name: 'utf-7 refused', bytes: header('Subject: =?utf-7?Q?+ADw-script+AD4-?=') },
    { name: 'broken encoded word', bytes: header('Subject: =?utf-8?B?not base64!?= and =?utf-8?Q?half', 'From: =?utf-8?q?=ZZ?= <a@example.com>') },
    { name: 'adjacent encoded words', bytes: header('Subject: =?utf-8?Q?a?= =?utf-8?Q?b?=   =?utf-8?B?w7w=?=') },
    { name: 'encoded word as the address', bytes: header('From: =?utf-8?B?ZXZpbEBleGFtcGxlLmNvbQ==?=@example.com', 'Reply-To: "x" <=?utf-8?Q?a=40b.example?=>') },
    { name: 'groups', bytes: header('To: undisclosed-recipients:;', 'Cc: Team: Ann <ann@example.com>, bob@example.com;, carol@example.com', 'Reply-To: g: ;') },
    { name: 'broken address lists', bytes: header('From: <<a@example.com>>', 'To: ,,, @, "unterminated <x@example.com>', 'Cc: a@b@c, (comment) d@example.com (more)') },
    { name: 'upper case and punycode', bytes: header('From: Ann <ANN@EXAMPLE.COM>', 'To: x@xn--mnchen-3ya.de') },
    { name: 'two From fields', bytes: header('From: first@example.com', 'From: second@example.com', 'To: a@example.com', 'To: b@example.com') },
    { name: 'no Date', bytes: header('From: a@example.com', 'Subject: no date') },
    { name: 'unreadable Date', bytes: header('Date: not a date at all', 'Subject: s') },
    { name: 'odd Date forms', bytes: header('Date: 7 Dec 2026 01:02:03 GMT', 'Subject: s') },
    { name: 'Message-ID forms', bytes: header('Message-ID: no-brackets@example.com', 'In-Reply-To: <a@b>') },
    { name: 'Message-ID encoded', bytes: header('Message-ID: =?utf-8?Q?<x@y>?=') },
    { name: 'empty fields', bytes: header('Subject:', 'From:', 'To: ', 'Message-ID:') },
    { name: 'duplicate Subject', bytes: header('Subject: one', 'Subject: two') },
    { name: 'raw UTF-8 bytes', bytes: header('Subject: Grüße 😀 日本語', 'From: Jörg <jörg@exämple.de>') },
    { name: 'raw latin1 bytes', bytes: latin1Header('Subject: Gr\u00fc\u00dfe', 'From: J\u00f6rg <j@example.de>', 'X-Raw: \u00ff\u00fe') },
    { name: 'folding with tabs and blanks', bytes: header('Subject: a', '\tb', '   c', 'To: Ann <ann@example.com>,', '\tBob <bob@example.com>') },
    { name: 'bare LF', bytes: Buffer.from('Subject: lf\nFrom: a@example.com\nTo: b@example.com,\n c@example.com\n\nbody\n') },
    { name: 'bare CR in a field', bytes: Buffer.from('Subject: a\rb\r\nFrom: a@example.com\r\n\r\n') },
    { name: 'NUL in a field', bytes: Buffer.from('Subject: a\u0000b\r\nX-Nul: \u0000\r\n\r\nbody') },
    { name: 'header only, no blank line', bytes: Buffer.from('Subject: only\r\nFrom: a@example.com\r\n') },
    { name: 'no header at all', bytes: Buffer.from('\r\nbody only\r\n') },
    { name: 'empty message', bytes: Buffer.alloc(0) },
    { name: 'not a header', bytes: Buffer.from('this is not a header\r\nnor this\r\n\r\nbody') },
    { name: 'field without a colon', bytes: header('Subject: s', 'garbage line', 'From: a@example.com') },
    { name: 'long folded field', bytes: header(`Subject: ${Array.from({ length: 200 }, (_, i) => `word${i}`).join(`${CRLF} `)}`) },
    { name: 'header past the byte limit', bytes: header('Subject: big', ...Array.from({ length: 3000 }, (_, i) => `X-Filler-${i}: ${'y'.repeat(60)}`), 'From: late@example.com') },
    { name: 'one line past the byte limit', bytes: Buffer.from(`Subject: ${'z'.repeat(DEFAULT_WALK_LIMITS.maxHeaderBytes + 100)}\r\nFrom: a@example.com\r\n\r\n`) },
    { name: 'priority and list fields', bytes: header('X-Priority: 1 (Highest)', 'Importance: low', 'List-Unsubscribe: <mailto:u@example.com>', 'List-ID: <list.example.com>') },
    { name: 'content fields with RFC 2231', bytes: header("Content-Type: text/plain; charset*=utf-8''%C3%BC; name*0=a; name*1=b", 'Content-Disposition: attachment; filename="=?utf-8?Q?x=2Eexe?="') },
    { name: 'OTP-Token', bytes: header('OTP-Token: 123456', 'Subject: code') },
    { name: 'base64 single part', bytes: header('Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', 'Subject: b64') },
    // Where the header block ends and what it costs against mailparser's maxHeadSize (a line counts for 64 bytes at least).
    ...[16_380, 16_382, 16_383, 16_384, 16_400].map((lines) => ({ name: `${lines} short lines`, bytes: header('Subject: short', ...Array.from({ length: lines }, () => 'X: a'), 'From: a@example.com') })),
    { name: 'CR CR LF line', bytes: Buffer.from('Subject: a\r\n\r\r\nFrom: b@example.com\r\n\r\nbody') },
    { name: 'blank-looking lines', bytes: Buffer.from('Subject: a\r\n \r\n\t\r\nFrom: b@example.com\n\r\nbody') },
    { name: 'two-byte lines', bytes: Buffer.from('Subject: a\n \nX\nFrom: b@example.com\n\nbody') },
    { name: 'LF then CRLF', bytes: Buffer.from('Subject: a\n\r\nFrom: b@example.com\r\n\r\n') },
    { name: 'CR alone ends nothing', bytes: Buffer.from('Subject: a\r\rFrom: b@example.com\r\n\r\n') },
  ];
}

function shippedMessages(): { name: string; bytes: Buffer }[] {
  return [
    ...scanCorpus().map((entry) => ({ name: `corpus ${entry.name}`, bytes: entry.bytes })),
    ...mixedMailbox(40, 3).map((bytes, index) => ({ name: `mixed ${index}`, bytes })),
    ...fixtureMessages().map((bytes, index) => ({ name: `imap fixture ${index}`, bytes })),
    ...POP3_MESSAGES.map((entry) => ({ name: `pop3 fixture ${entry.name}`, bytes: entry.content })),
    ...Array.from({ length: 150 }, (_, seed) => ({ name: `random mime ${seed}`, bytes: randomMime(seed) })),
    { name: 'rich', bytes: richMessage() },
    { name: 'plain', bytes: plainText({ subject: '=?utf-8?Q?caf=C3=A9?=', from: '"Last, First" <first.last@example.com>' }) },
    { name: 'utf8', bytes: utf8Message() },
    { name: 'attachments', bytes: withAttachments({ seed: 5 }) },
    { name: 'alternative', bytes: nestedAlternative() },
    { name: 'dots', bytes: dotLines() },
    { name: 'huge header', bytes: hugeHeader(2000) },
    { name: 'many parts', bytes: manyParts(50) },
    { name: 'nested mixed', bytes: nestedMixed(30) },
    { name: 'nested rfc822', bytes: nestedRfc822(30) },
  ];
}

describe('readEnvelope: the same envelope as simpleParser over the header block', () => {
  it('on every message the tests build or ship', async () => {
    for (const { name, bytes } of shippedMessages()) await assertSameEnvelope(name, bytes);
  });

  it('on encoded words, odd charsets and broken headers', async () => {
    for (const { name, bytes } of oddHeaders()) await assertSameEnvelope(name, bytes);
  });

  it('when read again (the recent envelopes answer)', async () => {
    for (const { name, bytes } of [...oddHeaders(), ...shippedMessages().slice(0, 60)]) {
      await assertSameEnvelope(name, bytes);
      await assertSameEnvelope(`${name}, again`, bytes);
    }
  });

  it('reads an unreadable Date as the time of each reading, not of the first', async () => {
    const bytes = header('Date: yesterday-ish', 'Subject: when');
    const first = await readEnvelope(bytes);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await readEnvelope(bytes);
    assert.ok(first.date && second.date && second.date.getTime() > first.date.getTime());
  });

  it('gives each reader its own envelope', async () => {
    const bytes = header('From: a@example.com', 'Subject: mine', 'Date: Mon, 7 Dec 2026 01:00:00 +0000');
    const first = await readEnvelope(bytes);
    first.from.push('changed@example.com');
    first.headers[0].value = 'changed';
    first.date?.setTime(0);
    assert.deepEqual(await readEnvelope(bytes), await simpleParserEnvelope(bytes));
  });

  it('on generated headers', async () => {
    const names = ['From', 'To', 'Cc', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'Content-Type', 'X-Other'];
    const pieces = ['a@example.com', '"Ann, B" <ann@example.com>', 'g: x@y.example;', '=?utf-8?B?w7w=?=', '=?iso-8859-1?Q?=E9?=', '<id@host>', 'Mon, 7 Dec 2026 01:00:00 +0000', '(c)', ',', ';', '<', '"', '\\', ' ', '\u00e9', '=?', '?='];
    const field = fc.tuple(fc.constantFrom(...names), fc.array(fc.constantFrom(...pieces), { maxLength: 8 }), fc.boolean()).map(([name, value, folded]) => `${name}: ${value.join(folded ? `${CRLF} ` : '')}`);
    await fc.assert(
      fc.asyncProperty(fc.array(field, { maxLength: 12 }), fc.constantFrom(CRLF, '\n'), async (fields, eol) => {
        await assertSameEnvelope(fields.join(' | '), Buffer.from(`${fields.join(eol)}${eol}${eol}body${eol}`, 'utf8'));
      }),
      { numRuns: 300, seed: 54 },
    );
  });
});
