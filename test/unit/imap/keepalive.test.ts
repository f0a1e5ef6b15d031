// Untagged keep-alives while a response is held for a scan (driven by tick()).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MARKER, SAME_LENGTH, markedMessage, selectedSession } from './harness.js';

const MSG = markedMessage();
const KEEPALIVE = '* OK [INPROGRESS ("a3" NIL NIL)] inboxguard: scanning message\r\n';

describe('keep-alive while a body is held', () => {
  test('emitted before the held response every keepaliveMs, then the response', () => {
    const d = selectedSession({ autoScan: false, engine: { keepaliveMs: 15_000 } });
    d.tick(1_000);
    d.client('a3 UID FETCH 7 (BODY.PEEK[])\r\n');
    d.server(`* 1 FETCH (UID 7 BODY[] {${MSG.length}}\r\n${MSG})\r\n`);
    d.tick(15_999);
    assert.equal(d.takeClient(), '');
    d.tick(16_000);
    assert.equal(d.takeClient(), KEEPALIVE);
    d.tick(30_000);
    assert.equal(d.takeClient(), '');
    d.tick(31_000);
    assert.equal(d.takeClient(), KEEPALIVE);
    d.server('a3 OK done\r\n');
    d.scan();
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 BODY[] {${MSG.length}}\r\n${MSG.replace(MARKER, SAME_LENGTH)})\r\na3 OK done\r\n`);
    d.tick(100_000);
    assert.equal(d.takeClient(), '', 'nothing held any more');
  });

  test('without a tick before the hold, the first tick starts the clock', () => {
    const d = selectedSession({ autoScan: false, engine: { keepaliveMs: 10 } });
    d.server(`* 1 FETCH (UID 7 BODY[] {${MSG.length}}\r\n${MSG})\r\n`);
    d.tick(500);
    assert.equal(d.takeClient(), '');
    d.tick(510);
    assert.equal(d.takeClient(), '* OK [INPROGRESS] inboxguard: scanning message\r\n', 'unsolicited: no tag to name');
  });

  test('no keep-alive when nothing is held', () => {
    const d = selectedSession({ engine: { keepaliveMs: 10 } });
    d.tick(0);
    d.server(`* 1 FETCH (UID 7 BODY[] {${MSG.length}}\r\n${MSG})\r\n* 2 EXISTS\r\n`);
    d.tick(1_000);
    assert.doesNotMatch(d.takeClient(), /INPROGRESS/);
  });

  test('not inside a response that already started (a literal streamed before the held body)', () => {
    const d = selectedSession({ autoScan: false, engine: { keepaliveMs: 10 } });
    d.tick(0);
    d.server(`* 1 FETCH (UID 7 BODY[HEADER] {4}\r\na: b BODY[TEXT] {${MSG.length}}\r\n${MSG})\r\n`);
    assert.equal(d.takeClient(), '* 1 FETCH (UID 7 BODY[HEADER] {4}\r\na: b BODY[TEXT] ');
    d.tick(1_000);
    assert.equal(d.takeClient(), '');
    d.scan();
    assert.equal(d.takeClient(), `{${MSG.length}}\r\n${MSG.replace(MARKER, SAME_LENGTH)})\r\n`);
  });

  test('a held response behind another one: the keep-alive goes before the first held response', () => {
    const d = selectedSession({ autoScan: false, engine: { keepaliveMs: 10 } });
    d.tick(0);
    d.client('a3 UID FETCH 7:8 (BODY.PEEK[])\r\n');
    d.server(`* 1 FETCH (UID 7 BODY[] {${MSG.length}}\r\n${MSG})\r\n* 2 FETCH (UID 8 BODY[] {${MSG.length}}\r\n${MSG})\r\n`);
    const [first] = d.awaitingScan;
    d.scan([first]);
    assert.match(d.takeClient(), /^\* 1 FETCH \(UID 7 BODY\[\] /);
    d.tick(20);
    assert.equal(d.takeClient(), KEEPALIVE);
  });
});
