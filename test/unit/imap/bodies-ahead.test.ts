// A FETCH of envelopes, structures or a section tells the session that bodies are likely next
// (bodiesAhead), so a scan worker can start before the first body needs it; LOGIN, SELECT and IDLE do not
// (an idle proxy starts none), nor does a flag synchronisation (clients repeat it every few minutes).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EngineDriver, selectedSession } from './harness.js';

const bodiesAhead = (driver: EngineDriver) => driver.outputKinds.filter((kind) => kind === 'bodiesAhead').length;

describe('IMAP bodiesAhead', () => {
  test('LOGIN, SELECT and IDLE ask for no scan worker', () => {
    const d = selectedSession();
    d.client('i1 IDLE\r\n').server('+ idling\r\n').client('DONE\r\n').server('i1 OK done\r\n');
    d.client('n1 NOOP\r\n').server('n1 OK\r\n');
    assert.equal(bodiesAhead(d), 0);
  });

  test('a flag synchronisation asks for none; headers, envelopes and structures ask once each, a body once more', () => {
    const d = selectedSession();
    d.client('s1 UID FETCH 1:* (UID FLAGS)\r\n').server('* 1 FETCH (UID 7 FLAGS (\\Seen))\r\ns1 OK done\r\n');
    d.client('s2 FETCH 1:* FAST\r\n').server('s2 OK done\r\n');
    assert.equal(bodiesAhead(d), 0);
    d.client('f1 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])\r\n');
    assert.equal(bodiesAhead(d), 1);
    d.server('f1 OK done\r\n');
    assert.equal(bodiesAhead(d), 1, 'the answer asks nothing');
    d.client('f2 FETCH 1:* (ENVELOPE)\r\n').server('f2 OK done\r\n');
    d.client('f3 FETCH 1 BODYSTRUCTURE\r\n').server('f3 OK done\r\n');
    d.client('f4 FETCH 1 ALL\r\n').server('f4 OK done\r\n');
    assert.equal(bodiesAhead(d), 4);
    d.client('f5 UID FETCH 7 BODY.PEEK[]\r\n');
    assert.equal(bodiesAhead(d), 5);
  });

  test('pipelined FETCHes stay one write to the server and ask once', () => {
    const d = selectedSession();
    const before = d.serverOut.length;
    d.client('f1 FETCH 1 (BODY.PEEK[]<0.1024>)\r\nf2 FETCH 1 (BODY.PEEK[]<1024.1024>)\r\nf3 FETCH 1 (ENVELOPE)\r\n');
    assert.equal(d.serverOut.length - before, 1, 'the three commands went in one write');
    assert.equal(bodiesAhead(d), 1);
  });

  test('a session in pass-through asks for none', () => {
    const d = selectedSession();
    d.passThrough();
    d.client('f1 FETCH 1:* (ENVELOPE)\r\n');
    assert.equal(bodiesAhead(d), 0);
  });
});
