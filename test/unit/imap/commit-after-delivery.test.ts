// EXPUNGE, UID EXPUNGE, CLOSE, MOVE and UID MOVE remove messages for good: the engine lets them go
// upstream (as commitToServer) only after every FETCH response requested before them has left for
// the client. What the client sends after one waits behind it, in order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MARKER, SAME_LENGTH, bytewise, markedMessage, randomSplits, selectedSession, whole } from './harness.js';

const MSG = markedMessage();
const SCANNED = MSG.replace(MARKER, SAME_LENGTH);
const fetchAnswer = (tag: string) => `* 1 FETCH (UID 7 BODY[] {${MSG.length}}\r\n${MSG})\r\n${tag} OK done\r\n`;

describe('deleting commands commit after delivery', () => {
  for (const command of ['EXPUNGE', 'UID EXPUNGE 7', 'CLOSE', 'MOVE 1 Trash', 'UID MOVE 7 Trash']) {
    for (const [name, chunker] of [['whole', whole], ['bytewise', bytewise], ['random', randomSplits(3, 7)]] as const) {
      test(`${command} waits for the held FETCH before it (${name})`, () => {
        const d = selectedSession({ autoScan: false });
        d.client(`f1 UID FETCH 7 BODY.PEEK[]\r\nx1 ${command}\r\n`, chunker);
        assert.equal(d.takeServer(), 'f1 UID FETCH 7 BODY.PEEK[]\r\n', 'the deleting command waits while the FETCH is unanswered');
        d.server(fetchAnswer('f1'), chunker);
        assert.equal(d.takeServer(), '', 'and while its body is held');
        assert.deepEqual(d.commits, []);
        d.scan();
        assert.equal(d.takeClient(), `* 1 FETCH (UID 7 BODY[] {${SCANNED.length}}\r\n${SCANNED})\r\nf1 OK done\r\n`);
        assert.equal(d.takeServer(), `x1 ${command}\r\n`);
        assert.deepEqual(d.commits, [`x1 ${command}\r\n`]);
      });
    }
  }

  test('the commit is emitted after the body it waited for', () => {
    const d = selectedSession({ autoScan: false });
    d.client('f1 UID FETCH 7 BODY.PEEK[]\r\nx1 EXPUNGE\r\n').server(fetchAnswer('f1')).scan();
    const kinds = d.outputKinds;
    assert.ok(kinds.indexOf('bodyToClient') >= 0 && kinds.indexOf('bodyToClient') < kinds.indexOf('commitToServer'), kinds.join(','));
  });

  test('commands after the commit keep their order behind it', () => {
    const d = selectedSession({ autoScan: false });
    d.client('f1 UID FETCH 7 BODY.PEEK[]\r\nx1 EXPUNGE\r\nn1 NOOP\r\nl1 LOGOUT\r\n');
    assert.equal(d.takeServer(), 'f1 UID FETCH 7 BODY.PEEK[]\r\n');
    d.server(fetchAnswer('f1'));
    d.client('n2 NOOP\r\n');
    assert.equal(d.takeServer(), '');
    d.scan();
    assert.equal(d.takeServer(), 'x1 EXPUNGE\r\nn1 NOOP\r\nl1 LOGOUT\r\nn2 NOOP\r\n');
  });

  test('a deleting command with no FETCH before it goes out at once', () => {
    const d = selectedSession({ autoScan: false });
    d.client('s1 STORE 1 +FLAGS (\\Deleted)\r\nx1 EXPUNGE\r\n');
    assert.equal(d.takeServer(), 's1 STORE 1 +FLAGS (\\Deleted)\r\nx1 EXPUNGE\r\n');
    assert.deepEqual(d.commits, ['x1 EXPUNGE\r\n']);
  });

  test('a FETCH sent after the commit does not hold it back', () => {
    const d = selectedSession({ autoScan: false });
    d.client('x1 EXPUNGE\r\nf1 UID FETCH 7 BODY.PEEK[]\r\n');
    assert.equal(d.takeServer(), 'x1 EXPUNGE\r\nf1 UID FETCH 7 BODY.PEEK[]\r\n');
  });

  test('pass-through asked for while a commit waits starts once the commit has left', () => {
    const d = selectedSession({ autoScan: false });
    d.client('f1 UID FETCH 7 BODY.PEEK[]\r\nx1 EXPUNGE\r\n').server(fetchAnswer('f1'));
    d.passThrough();
    assert.equal(d.engine.passingThrough, false);
    d.scan();
    assert.deepEqual(d.commits, ['x1 EXPUNGE\r\n']);
    assert.equal(d.engine.passingThrough, true);
  });

  test('the client going away drops the held commit', () => {
    const d = selectedSession({ autoScan: false });
    d.client('f1 UID FETCH 7 BODY.PEEK[]\r\nx1 EXPUNGE\r\n').server(fetchAnswer('f1')).end('client');
    assert.deepEqual(d.commits, []);
    assert.equal(d.takeServer(), 'f1 UID FETCH 7 BODY.PEEK[]\r\n');
    assert.ok(d.closed);
  });

  test('the server closing (LOGOUT, BYE) with a body held still delivers it, then closes', () => {
    const d = selectedSession({ autoScan: false });
    d.client('f1 UID FETCH 7 BODY.PEEK[]\r\nl1 LOGOUT\r\n');
    d.server(`${fetchAnswer('f1')}* BYE logging out\r\nl1 OK bye\r\n`).end('server');
    assert.equal(d.closed, undefined);
    assert.equal(d.takeClient(), '');
    d.scan();
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 BODY[] {${SCANNED.length}}\r\n${SCANNED})\r\nf1 OK done\r\n* BYE logging out\r\nl1 OK bye\r\n`);
    assert.ok(d.closed);
  });
});

describe('IMAP outputs the session acts on', () => {
  test('a held response asks for a wake-up when the next keep-alive is due, instead of being polled', () => {
    const d = selectedSession({ autoScan: false, engine: { keepaliveMs: 1000 } });
    d.tick(0).client('f1 UID FETCH 7 BODY.PEEK[]\r\n').server(fetchAnswer('f1'));
    assert.deepEqual(d.wakeUps, [1000]);
    d.tick(1000);
    assert.match(d.takeClient(), /^\* OK \[INPROGRESS\] inboxguard: scanning message\r\n$/);
    assert.deepEqual(d.wakeUps, [1000, 1000]);
    d.scan();
    d.tick(1500);
    assert.deepEqual(d.wakeUps, [1000, 1000], 'nothing held: no more wake-ups');
  });

  test('the client ID name is a typed output', () => {
    const d = selectedSession();
    d.client('i1 ID ("name" "Thunderbird" "version" "115")\r\n');
    assert.deepEqual(d.clientIds, ['Thunderbird']);
  });

  test('a body the session could not keep ends the session with BYE before the response it belonged to', () => {
    const d = selectedSession({ autoScan: false });
    d.client('f1 UID FETCH 7 BODY.PEEK[]\r\n').server(fetchAnswer('f1'));
    const [body] = d.bodyList;
    d.fail(body.id, 'spool write failed: ENOSPC');
    assert.equal(d.takeClient(), '* BYE inboxguard: a message could not be processed\r\n');
    assert.ok(d.closed);
    assert.deepEqual(
      d.takeEvents().filter((event) => event.type === 'body-failed').map(({ bodyId, reason }) => ({ bodyId, reason })),
      [{ bodyId: body.id, reason: 'spool write failed: ENOSPC' }],
    );
  });
});
