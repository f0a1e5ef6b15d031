// QUIT enters the UPDATE state (RFC 1939 §6), where the server deletes what DELE marked: the engine
// lets it go upstream only after every earlier reply has left for the client, as a commitToServer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DotStuffer } from '../../../src/pop3/dot-stuffing.js';
import { Harness, byteByByte, randomSplits, whole } from './harness.js';

const GREETING = '+OK POP3 ready\r\n';

function retrReply(content: string): string {
  const stuffer = new DotStuffer();
  const buffer = Buffer.from(content, 'latin1');
  return `+OK ${buffer.length} octets\r\n${Buffer.concat([stuffer.push(buffer), stuffer.end()]).toString('latin1')}.\r\n`;
}

describe('POP3 QUIT commits only after delivery', () => {
  it('holds a pipelined QUIT until the held RETR is released, then emits it as a commit after the body', () => {
    for (const split of [whole, byteByByte, randomSplits(7, 5)]) {
      const harness = new Harness({ manualScan: true }).server(GREETING, split).client('RETR 3\r\nDELE 3\r\nQUIT\r\n', split);
      assert.equal(harness.serverText, 'RETR 3\r\nDELE 3\r\n');
      harness.server(retrReply('Subject: x\r\n\r\nhello\r\n') + '+OK marked\r\n', split);
      assert.equal(harness.serverText, 'RETR 3\r\nDELE 3\r\n', 'QUIT waits while the body is held');
      assert.deepEqual(harness.commits, []);
      harness.scan(1);
      assert.deepEqual(harness.commits, ['QUIT\r\n']);
      const kinds = harness.log.map((output) => output.kind);
      assert.ok(kinds.lastIndexOf('bodyToClient') < kinds.indexOf('commitToServer'), 'the commit comes after the body');
      assert.ok(kinds.lastIndexOf('toClient') < kinds.indexOf('commitToServer'), 'and after the DELE reply');
      harness.server('+OK bye\r\n', split).end('server');
      assert.equal(harness.clientText, GREETING + retrReply('Subject: x\r\n\r\nhello\r\n') + '+OK marked\r\n+OK bye\r\n');
      assert.equal(harness.closes.length, 1);
    }
  });

  it('waits for the server to answer every earlier command even when nothing is held', () => {
    const harness = new Harness().server(GREETING).client('DELE 1\r\nQUIT\r\n');
    assert.equal(harness.serverText, 'DELE 1\r\n');
    harness.server('+OK marked\r\n');
    assert.deepEqual(harness.commits, ['QUIT\r\n']);
    assert.equal(harness.serverText, 'DELE 1\r\nQUIT\r\n');
  });

  it('a QUIT alone goes out at once, as a commit', () => {
    const harness = new Harness().server(GREETING).client('QUIT\r\n');
    assert.deepEqual(harness.commits, ['QUIT\r\n']);
  });

  it('keeps what the client sends after QUIT behind it, in order', () => {
    const harness = new Harness({ manualScan: true }).server(GREETING).client('RETR 1\r\nQUIT\r\nNOOP\r\n');
    harness.server(retrReply('a\r\n'));
    assert.equal(harness.serverText, 'RETR 1\r\n');
    harness.scan(1);
    assert.equal(harness.serverText, 'RETR 1\r\nQUIT\r\nNOOP\r\n');
    assert.deepEqual(harness.commits, ['QUIT\r\n']);
  });

  it('never forwards QUIT once the client has gone: the server keeps the mail', () => {
    const harness = new Harness({ manualScan: true }).server(GREETING).client('RETR 1\r\nDELE 1\r\nQUIT\r\n');
    harness.server(retrReply('a\r\n') + '+OK marked\r\n').end('client').scan(1);
    assert.deepEqual(harness.commits, []);
    assert.equal(harness.serverText, 'RETR 1\r\nDELE 1\r\n');
  });

  it('a server that closes while a body is held still lets the client have it, then an error for what is unanswered', () => {
    const harness = new Harness({ manualScan: true }).server(GREETING).client('RETR 1\r\nDELE 1\r\nQUIT\r\n');
    harness.server(retrReply('a\r\n') + '+OK marked\r\n').end('server');
    assert.equal(harness.clientText, GREETING);
    assert.equal(harness.closes.length, 0);
    harness.scan(1);
    assert.equal(harness.clientText, `${GREETING}${retrReply('a\r\n')}+OK marked\r\n-ERR inboxguard: the server closed the connection\r\n`);
    assert.deepEqual(harness.commits, []);
    assert.equal(harness.closes.length, 1);
  });
});

describe('POP3 outputs the session acts on', () => {
  it('asks for a scan deadline with a typed output (and still logs the event)', () => {
    const harness = new Harness({ engine: { maxHoldMs: 1000 }, manualScan: true }).tick(0).server(GREETING).client('RETR 1\r\n').server(retrReply('x\r\n'));
    harness.tick(500);
    assert.deepEqual(harness.deadlines, []);
    harness.tick(1000).tick(3000);
    assert.deepEqual(harness.deadlines, [1]);
    assert.equal(harness.eventsOf('scan-timeout').length, 1);
  });

  it('asks to be woken when the hold deadline of the reply at the front is due, instead of being polled', () => {
    const harness = new Harness({ engine: { maxHoldMs: 1000 }, manualScan: true }).tick(0).server(GREETING).client('RETR 1\r\n').server(retrReply('x\r\n'));
    assert.deepEqual(harness.wakeUps, [1000]);
    harness.tick(400);
    assert.deepEqual(harness.wakeUps, [1000, 600], 'asked again after a tick, for the same deadline');
    harness.tick(1000);
    assert.deepEqual(harness.deadlines, [1]);
    harness.tick(1500).scan(1);
    assert.deepEqual(harness.wakeUps, [1000, 600], 'nothing left to wait for');
  });

  it('a body the session could not keep becomes -ERR for that RETR only, with an event', () => {
    const harness = new Harness({ manualScan: true }).server(GREETING).client('RETR 1\r\nRETR 2\r\n');
    harness.server(retrReply('one\r\n') + retrReply('two\r\n'));
    harness.fail(1, 'spool write failed: ENOSPC').scan(2);
    assert.equal(harness.clientText, `${GREETING}-ERR inboxguard: the message could not be processed; it stays on the server\r\n${retrReply('two\r\n')}`);
    assert.deepEqual(
      harness.eventsOf('body-failed').map(({ bodyId, reason }) => ({ bodyId, reason })),
      [{ bodyId: 1, reason: 'spool write failed: ENOSPC' }],
    );
    assert.equal(harness.bodies.get(1)?.released, true);
    assert.equal(harness.closes.length, 0, 'the session goes on');
  });

  it('after a failed body, QUIT is answered here and never forwarded: a pipelined DELE does not become final', () => {
    const harness = new Harness({ manualScan: true }).server(GREETING).client('RETR 1\r\nDELE 1\r\nQUIT\r\n');
    harness.server(`${retrReply('one\r\n')}+OK marked\r\n`).fail(1, 'ENOSPC');
    assert.deepEqual(harness.commits, []);
    assert.equal(harness.serverText, 'RETR 1\r\nDELE 1\r\n');
    assert.equal(
      harness.clientText,
      `${GREETING}-ERR inboxguard: the message could not be processed; it stays on the server\r\n+OK marked\r\n-ERR inboxguard: a message could not be delivered, so nothing was deleted\r\n`,
    );
    assert.deepEqual(harness.closes, ['QUIT withheld: ENOSPC']);
    assert.equal(harness.eventsOf('quit-withheld').length, 1);
  });
});
