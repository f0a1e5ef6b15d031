// RFC822.SIZE follows a whole message that was replaced with one of a different size.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MARKER, markedMessage, markerScanner, selectedSession } from './harness.js';

const MSG = markedMessage();
const REPLACEMENT = '[removed by inboxguard: infected content]';
const SCANNED = MSG.replace(MARKER, REPLACEMENT);

function replacedOnce(uid = 7) {
  const d = selectedSession({ scanner: markerScanner(REPLACEMENT) });
  d.client(`a3 UID FETCH ${uid} (BODY.PEEK[])\r\n`);
  d.server(`* 1 FETCH (UID ${uid} BODY[] {${MSG.length}}\r\n${MSG})\r\na3 OK done\r\n`);
  d.takeClient();
  return d;
}

describe('RFC822.SIZE after a size change', () => {
  test('later FETCH responses report the size the client was given', () => {
    const d = replacedOnce();
    assert.deepEqual(
      d.takeEvents().filter((e) => e.type === 'body-size-changed'),
      [{ type: 'body-size-changed', protocol: 'imap', section: 'BODY[]', mailbox: 'INBOX', uidValidity: '42', uid: 7, from: MSG.length, to: SCANNED.length }],
    );
    d.server(`* 1 FETCH (UID 7 RFC822.SIZE ${MSG.length} FLAGS ())\r\n* 2 FETCH (UID 8 RFC822.SIZE ${MSG.length})\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 RFC822.SIZE ${SCANNED.length} FLAGS ())\r\n* 2 FETCH (UID 8 RFC822.SIZE ${MSG.length})\r\n`);
  });

  test('UID after RFC822.SIZE', () => {
    const d = replacedOnce();
    d.server(`* 1 FETCH (RFC822.SIZE ${MSG.length} FLAGS (\\Seen) UID 7)\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (RFC822.SIZE ${SCANNED.length} FLAGS (\\Seen) UID 7)\r\n`);
  });

  test('UID after RFC822.SIZE and after a literal: the size is not held up for the literal', () => {
    const d = replacedOnce();
    d.server(`* 1 FETCH (RFC822.SIZE ${MSG.length} BODY[HEADER] {4}\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (RFC822.SIZE ${MSG.length} BODY[HEADER] {4}\r\n`);
    d.server('a: b UID 7)\r\n');
    assert.equal(d.takeClient(), 'a: b UID 7)\r\n');
  });

  test('in the same response as the replaced body', () => {
    const d = selectedSession({ scanner: markerScanner(REPLACEMENT) });
    d.server(`* 1 FETCH (UID 7 RFC822.SIZE ${MSG.length} RFC822 {${MSG.length}}\r\n${MSG})\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 RFC822.SIZE ${SCANNED.length} RFC822 {${SCANNED.length}}\r\n${SCANNED})\r\n`);
  });

  test('in the same response with UID after the body', () => {
    const d = selectedSession({ scanner: markerScanner(REPLACEMENT) });
    d.server(`* 1 FETCH (RFC822.SIZE ${MSG.length} BODY[] {${MSG.length}}\r\n${MSG} UID 7)\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (RFC822.SIZE ${SCANNED.length} BODY[] {${SCANNED.length}}\r\n${SCANNED} UID 7)\r\n`);
  });

  test('keyed by mailbox and UIDVALIDITY', () => {
    const d = replacedOnce();
    d.client('a4 SELECT INBOX\r\n');
    d.server('* OK [UIDVALIDITY 43] new validity\r\na4 OK done\r\n');
    d.takeClient();
    d.server(`* 1 FETCH (UID 7 RFC822.SIZE ${MSG.length})\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 RFC822.SIZE ${MSG.length})\r\n`);
    d.client('a5 EXAMINE INBOX\r\n');
    d.server('* OK [UIDVALIDITY 42] back\r\na5 OK done\r\n');
    d.takeClient();
    d.server(`* 1 FETCH (UID 7 RFC822.SIZE ${MSG.length})\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 RFC822.SIZE ${SCANNED.length})\r\n`);
  });

  test('parts and same-size replacements leave RFC822.SIZE alone', () => {
    const d = selectedSession({ scanner: markerScanner(REPLACEMENT) });
    d.server(`* 1 FETCH (UID 7 BODY[1] {${MSG.length}}\r\n${MSG})\r\n`);
    d.takeClient();
    d.server(`* 1 FETCH (UID 7 RFC822.SIZE ${MSG.length})\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 RFC822.SIZE ${MSG.length})\r\n`);
    const same = selectedSession();
    same.server(`* 1 FETCH (UID 7 BODY[] {${MSG.length}}\r\n${MSG})\r\n* 1 FETCH (UID 7 RFC822.SIZE ${MSG.length})\r\n`);
    assert.match(same.takeClient(), new RegExp(`RFC822\\.SIZE ${MSG.length}\\)`));
  });
});
