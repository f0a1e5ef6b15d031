// The client side: commands, literals, AUTHENTICATE, IDLE, and the commands answered locally.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EngineDriver, bytewise, selectedSession } from './harness.js';

function greeted(): EngineDriver {
  const d = new EngineDriver();
  d.server('* OK ready\r\n');
  d.takeClient();
  return d;
}

describe('commands the engine answers itself', () => {
  test('STARTTLS is refused with BAD and not forwarded', () => {
    const d = greeted();
    d.client('s1 STARTTLS\r\n');
    assert.equal(d.takeServer(), '');
    assert.equal(d.takeClient(), 's1 BAD inboxguard: STARTTLS is not available at this point\r\n');
    assert.deepEqual(d.takeEvents(), [{ type: 'command-refused', protocol: 'imap', command: 'STARTTLS', tag: 's1' }]);
  });

  test('COMPRESS is refused with NO and not forwarded', () => {
    const d = selectedSession();
    d.client('c1 compress DEFLATE\r\n');
    assert.equal(d.takeServer(), '');
    assert.equal(d.takeClient(), 'c1 NO inboxguard: COMPRESS is not supported through the scanning proxy\r\n');
  });

  test('pipelined: the answer waits for the commands sent before it and never cuts into a response', () => {
    const d = greeted();
    d.client('p1 NOOP\r\np2 STARTTLS\r\np3 NOOP\r\n');
    assert.equal(d.takeServer(), 'p1 NOOP\r\np3 NOOP\r\n');
    assert.equal(d.takeClient(), '');
    d.server('* 1 EXISTS\r\np1 OK done\r\n* LIST () "/" {3}\r\nab');
    assert.equal(d.takeClient(), '* 1 EXISTS\r\np1 OK done\r\np2 BAD inboxguard: STARTTLS is not available at this point\r\n* LIST () "/" {3}\r\nab');
    d.server('c\r\np3 OK done\r\n');
    assert.equal(d.takeClient(), 'c\r\np3 OK done\r\n');
  });

  test('an answer due while the server is in the middle of a response waits for its end', () => {
    const d = greeted();
    d.server('* LIST () "/" {3}\r\nab');
    d.takeClient();
    d.client('q1 COMPRESS DEFLATE\r\n');
    assert.equal(d.takeClient(), '');
    d.server('c\r\n');
    assert.equal(d.takeClient(), 'c\r\nq1 NO inboxguard: COMPRESS is not supported through the scanning proxy\r\n');
  });
});

describe('literals in client commands', () => {
  test('synchronizing literal: the server +, then the literal streams; LOGIN user taken from it, password never', () => {
    const d = greeted();
    d.client('l1 LOGIN {5}\r\n');
    assert.equal(d.takeServer(), 'l1 LOGIN {5}\r\n');
    d.server('+ Ready for literal data\r\n');
    assert.equal(d.takeClient(), '+ Ready for literal data\r\n');
    d.client('alice {6}\r\n');
    d.server('+ Ready\r\n');
    d.client('secret\r\n');
    assert.equal(d.takeServer(), 'alice {6}\r\nsecret\r\n');
    d.server('l1 OK logged in\r\n');
    assert.deepEqual(d.takeEvents(), [{ type: 'imap-login', protocol: 'imap', method: 'LOGIN', user: 'alice' }]);
    d.client('l2 STARTTLS\r\n');
    assert.equal(d.takeServer(), '', 'back to reading commands');
  });

  test('LOGIN with quoted user name', () => {
    const d = greeted();
    d.client('l1 LOGIN "al\\"ice" "pass word"\r\n');
    d.server('l1 OK logged in\r\n');
    assert.equal(d.takeEvents()[0].user, 'al"ice');
    assert.equal(JSON.stringify(d.events).includes('pass word'), false);
  });

  test('a synchronizing literal refused by the server: the next line is a command again', () => {
    const d = greeted();
    d.client('l1 APPEND INBOX {999999999}\r\n');
    d.server('l1 NO [TOOBIG] too big\r\n');
    d.client('l2 STARTTLS\r\n');
    assert.equal(d.takeServer(), 'l1 APPEND INBOX {999999999}\r\n');
    assert.match(d.takeClient(), /^l1 NO \[TOOBIG\] too big\r\nl2 BAD inboxguard/);
  });

  test('LITERAL+ content that looks like commands is passed on as content', () => {
    const d = greeted();
    const content = 'x STARTTLS\r\ny COMPRESS DEFLATE\r\n';
    d.client(`a1 APPEND INBOX {${content.length}+}\r\n${content}\r\na2 NOOP\r\n`, bytewise);
    assert.equal(d.takeServer(), `a1 APPEND INBOX {${content.length}+}\r\n${content}\r\na2 NOOP\r\n`);
    assert.equal(d.takeClient(), '');
  });

  test('LITERAL- and literal8 (~{n}) with NUL bytes', () => {
    const d = greeted();
    const content = Buffer.from('bin\u0000ary\r\nz STARTTLS\r\n', 'latin1');
    const command = Buffer.concat([
      Buffer.from(`a1 APPEND INBOX (\\Seen) ~{${content.length}+}\r\n`),
      content,
      Buffer.from(` {3-}\r\nabc\r\n`),
    ]);
    d.client(command);
    assert.ok(d.serverBytes.equals(command));
  });

  test('APPEND content is forwarded as it arrives, never held back', () => {
    const d = greeted();
    d.client('a1 APPEND INBOX {100000}\r\n');
    d.server('+ OK\r\n');
    d.takeServer();
    d.client('y'.repeat(1000));
    assert.equal(d.takeServer().length, 1000);
    d.client('y'.repeat(99000));
    assert.equal(d.takeServer().length, 99000);
  });

  test('SELECT mailbox names: atom, quoted, literal; modified UTF-7 kept as sent', () => {
    const d = greeted();
    d.client('s1 SELECT "&AMQ-rger \\"x\\""\r\n');
    d.server('* OK [UIDVALIDITY 7] ok\r\ns1 OK done\r\n');
    assert.deepEqual(d.takeEvents(), [{ type: 'imap-select', protocol: 'imap', mailbox: '&AMQ-rger "x"', uidValidity: '7', readOnly: false }]);
    d.client('s2 EXAMINE {7}\r\n');
    d.server('+ go\r\n');
    d.client('Archive (CONDSTORE)\r\n');
    d.server('* OK [UIDVALIDITY 8] ok\r\ns2 OK done\r\n');
    assert.deepEqual(d.takeEvents(), [{ type: 'imap-select', protocol: 'imap', mailbox: 'Archive', uidValidity: '8', readOnly: true }]);
  });

  test('a failed SELECT leaves no mailbox selected', () => {
    const d = selectedSession({ autoScan: false });
    d.client('s1 SELECT Nope\r\n');
    d.server('s1 NO no such mailbox\r\n');
    d.server('* 1 FETCH (UID 2 BODY[] {1}\r\nx)\r\n');
    assert.equal(d.bodyList[0].context.mailbox, undefined);
    assert.equal(d.bodyList[0].context.uidValidity, undefined);
  });
});

describe('AUTHENTICATE', () => {
  test('client lines of the exchange are never parsed as commands', () => {
    const d = greeted();
    d.client('a1 AUTHENTICATE X-TEST\r\n');
    d.server('+ Y2hhbGxlbmdl\r\n');
    d.client('z STARTTLS\r\n');
    d.server('+ bW9yZQ==\r\n');
    d.client('w COMPRESS DEFLATE\r\n');
    assert.equal(d.takeServer(), 'a1 AUTHENTICATE X-TEST\r\nz STARTTLS\r\nw COMPRESS DEFLATE\r\n');
    d.server('a1 OK done\r\n');
    assert.equal(d.takeClient(), '+ Y2hhbGxlbmdl\r\n+ bW9yZQ==\r\na1 OK done\r\n');
    d.client('a2 STARTTLS\r\n');
    assert.equal(d.takeServer(), '', 'commands again after the tagged response');
  });

  test('PLAIN after a continuation: the user is decoded, the password never leaves', () => {
    const d = greeted();
    d.client('a1 AUTHENTICATE PLAIN\r\n');
    d.server('+ \r\n');
    d.client(`${Buffer.from('\u0000bob\u0000hunter2').toString('base64')}\r\n`);
    d.server('a1 OK done\r\n');
    assert.deepEqual(d.takeEvents(), [{ type: 'imap-login', protocol: 'imap', method: 'AUTHENTICATE', user: 'bob' }]);
    assert.equal(JSON.stringify(d.events).includes('hunter2'), false);
  });

  test('PLAIN with SASL-IR and an authorization identity', () => {
    const d = greeted();
    d.client(`a1 AUTHENTICATE PLAIN ${Buffer.from('shared\u0000bob\u0000pw').toString('base64')}\r\n`);
    d.server('a1 OK done\r\n');
    assert.equal(d.takeEvents()[0].user, 'shared');
  });

  test('a failed authentication records no user', () => {
    const d = greeted();
    d.client(`a1 AUTHENTICATE PLAIN ${Buffer.from('\u0000bob\u0000pw').toString('base64')}\r\n`);
    d.server('a1 NO [AUTHENTICATIONFAILED] no\r\n');
    d.server('* 1 FETCH (UID 2 BODY[] {1}\r\nx)\r\n');
    assert.equal(d.bodyList[0].context.user, undefined);
    assert.deepEqual(d.takeEvents(), []);
  });

  test('the client cancels with *', () => {
    const d = greeted();
    d.client('a1 AUTHENTICATE PLAIN\r\n');
    d.server('+ \r\n');
    d.client('*\r\n');
    d.server('a1 BAD cancelled\r\n');
    d.client('a2 NOOP\r\n');
    assert.equal(d.takeServer(), 'a1 AUTHENTICATE PLAIN\r\n*\r\na2 NOOP\r\n');
  });
});

describe('IDLE', () => {
  test('updates flow while idling, DONE ends it, commands follow', () => {
    const d = selectedSession();
    d.client('i1 IDLE\r\n');
    d.server('+ idling\r\n');
    d.server('* 4 EXISTS\r\n* 3 FETCH (FLAGS (\\Seen))\r\n');
    assert.equal(d.takeClient(), '+ idling\r\n* 4 EXISTS\r\n* 3 FETCH (FLAGS (\\Seen))\r\n');
    d.client('DONE\r\n');
    d.server('i1 OK Idle completed\r\n');
    d.client('i2 STARTTLS\r\n');
    assert.equal(d.takeServer(), 'i1 IDLE\r\nDONE\r\n');
    assert.equal(d.takeClient(), 'i1 OK Idle completed\r\ni2 BAD inboxguard: STARTTLS is not available at this point\r\n');
  });

  test('IDLE refused by the server: the next line is a command', () => {
    const d = selectedSession();
    d.client('i1 IDLE\r\n');
    d.server('i1 BAD no idle\r\n');
    d.client('i2 STARTTLS\r\n');
    assert.equal(d.takeServer(), 'i1 IDLE\r\n');
  });
});

test('pipelined commands in one write all work', () => {
  const d = selectedSession();
  d.client('x1 NOOP\r\nx2 UID FETCH 5 (BODY.PEEK[]<0.4>)\r\nx3 STARTTLS\r\nx4 LOGIN {3+}\r\nbob pw\r\nx5 FETCH 1 (FLAGS)\r\n', bytewise);
  assert.equal(d.takeServer(), 'x1 NOOP\r\nx2 UID FETCH 5 (BODY.PEEK[])\r\nx4 LOGIN {3+}\r\nbob pw\r\nx5 FETCH 1 (FLAGS)\r\n');
  d.server('x1 OK\r\n* 1 FETCH (UID 5 BODY[] {6}\r\nhello!)\r\nx2 OK\r\nx4 OK\r\n* 1 FETCH (FLAGS ())\r\nx5 OK\r\n');
  assert.equal(
    d.takeClient(),
    'x1 OK\r\n* 1 FETCH (UID 5 BODY[]<0> {4}\r\nhell)\r\nx2 OK\r\nx3 BAD inboxguard: STARTTLS is not available at this point\r\nx4 OK\r\n* 1 FETCH (FLAGS ())\r\nx5 OK\r\n',
  );
});
