// A FETCH of any item tells the session that bodies are likely next (bodiesAhead), so a scan worker can
// start before the first body needs it; LOGIN, SELECT and IDLE alone do not (an idle proxy starts none).
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

  test('a FETCH FLAGS asks once, a UID FETCH of a body once more', () => {
    const d = selectedSession();
    d.client('f1 FETCH 1:* (FLAGS)\r\n');
    assert.equal(bodiesAhead(d), 1);
    d.server('* 1 FETCH (FLAGS (\\Seen))\r\nf1 OK done\r\n');
    assert.equal(bodiesAhead(d), 1, 'the answer asks nothing');
    d.client('f2 UID FETCH 7 BODY.PEEK[]\r\n');
    assert.equal(bodiesAhead(d), 2);
  });

  test('a session in pass-through asks for none', () => {
    const d = selectedSession();
    d.passThrough();
    d.client('f1 FETCH 1:* (FLAGS)\r\n');
    assert.equal(bodiesAhead(d), 0);
  });
});
