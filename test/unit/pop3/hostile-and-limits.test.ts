import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DotStuffer } from '../../../src/pop3/dot-stuffing.js';
import { Harness, byteByByte, randomSplits, whole, type Splitter } from './harness.js';

const GREETING = '+OK POP3 ready\r\n';

function retrReply(content: string): string {
  const stuffer = new DotStuffer();
  const buffer = Buffer.from(content, 'latin1');
  return `+OK ${buffer.length} octets\r\n${Buffer.concat([stuffer.push(buffer), stuffer.end()]).toString('latin1')}.\r\n`;
}

/** About 6 KB with lines that begin with dots, lines that are a single dot, and a long line. */
function bigMessage(): string {
  let text = 'Subject: big\r\n\r\n';
  for (let i = 0; i < 120; i += 1) text += i % 7 === 0 ? `.dot line ${i}\r\n` : i % 11 === 0 ? '.\r\n' : `plain line ${i} ${'-'.repeat(30)}\r\n`;
  return `${text}${'w'.repeat(1500)}\r\n`;
}

describe('hostile or broken servers', () => {
  it('turns a RETR cut off by EOF into a clear -ERR and a close', () => {
    for (const split of [whole, byteByByte]) {
      const harness = new Harness().server(GREETING, split).client('RETR 1\r\n', split).server('+OK 500 octets\r\nSubject: x\r\n\r\npartial\r\n', split).end('server');
      assert.equal(harness.clientText, `${GREETING}-ERR inboxguard: the server closed the connection before the end of the message\r\n`);
      assert.deepEqual(harness.closes, ['server closed the connection']);
      const body = harness.bodies.get(1);
      assert.ok(body && body.released && !body.ended, 'the partial body is released, never scanned');
      assert.equal(harness.eventsOf('protocol-error').length, 1);
    }
  });

  it('answers a command the server never replied to with -ERR on EOF', () => {
    const harness = new Harness().server(GREETING).client('STAT\r\n').server('+OK 1').end('server');
    assert.equal(harness.clientText, `${GREETING}-ERR inboxguard: the server closed the connection\r\n`);
    assert.equal(harness.closes.length, 1);
  });

  it('just closes when the server ends with nothing outstanding or inside a forwarded list', () => {
    const idle = new Harness().server(GREETING).client('QUIT\r\n').server('+OK bye\r\n').end('server');
    assert.equal(idle.clientText, `${GREETING}+OK bye\r\n`);
    assert.deepEqual(idle.closes, ['server closed the connection']);
    const list = new Harness().server(GREETING).client('LIST\r\n').server('+OK\r\n1 20\r\n').end('server');
    assert.equal(list.clientText, `${GREETING}+OK\r\n1 20\r\n`);
    assert.equal(list.closes.length, 1);
  });

  it('still delivers a scanned body before closing on EOF', () => {
    const harness = new Harness({ manualScan: true }).server(GREETING).client('RETR 1\r\n').server(retrReply('a\r\n')).end('server');
    assert.equal(harness.clientText, GREETING);
    assert.equal(harness.closes.length, 0);
    harness.scan(1);
    assert.equal(harness.clientText, GREETING + retrReply('a\r\n'));
    assert.equal(harness.closes.length, 1);
  });

  it('refuses a garbage status line with -ERR and a close, and ignores what follows', () => {
    for (const split of [whole, byteByByte]) {
      const harness = new Harness().server(GREETING, split).client('RETR 1\r\n', split).server('HTTP/1.1 200 OK\r\n+OK\r\nfake\r\n.\r\n', split);
      assert.equal(harness.clientText, `${GREETING}-ERR inboxguard: the server sent an invalid reply\r\n`);
      assert.equal(harness.closes.length, 1);
      assert.equal(harness.bodies.size, 0);
      harness.server('+OK more\r\n').client('NOOP\r\n').end('server');
      assert.equal(harness.serverText, 'RETR 1\r\n');
    }
  });

  it('refuses a garbage greeting', () => {
    const harness = new Harness().server('SSH-2.0-OpenSSH_9.6\r\n');
    assert.equal(harness.clientText, '-ERR inboxguard: the server sent an invalid reply\r\n');
    assert.equal(harness.closes.length, 1);
  });

  it('forwards an unsolicited -ERR but refuses an unsolicited +OK (it could pose as a later reply)', () => {
    const farewell = new Harness().server(GREETING).server('-ERR Disconnected for inactivity.\r\n').end('server');
    assert.equal(farewell.clientText, `${GREETING}-ERR Disconnected for inactivity.\r\n`);
    const injected = new Harness().server(GREETING).server('+OK\r\nFrom: evil\r\n.\r\n');
    assert.equal(injected.clientText, `${GREETING}-ERR inboxguard: the server sent an unexpected reply\r\n`);
    assert.equal(injected.closes.length, 1);
  });

  it('refuses a status line that never ends', () => {
    const harness = new Harness().server(GREETING).client('NOOP\r\n').server(Buffer.alloc(70 * 1024, 0x61));
    assert.ok(harness.clientText.endsWith('-ERR inboxguard: the server sent an invalid reply\r\n'));
    assert.equal(harness.closes.length, 1);
  });
});

describe('clients', () => {
  it('closes after the outstanding replies when the client ends', () => {
    const harness = new Harness().server(GREETING).client('QUIT\r\n').end('client');
    assert.equal(harness.closes.length, 0);
    harness.server('+OK bye\r\n');
    assert.equal(harness.clientText, `${GREETING}+OK bye\r\n`);
    assert.deepEqual(harness.closes, ['client closed the connection']);
  });

  it('refuses an endless command line', () => {
    const harness = new Harness().server(GREETING).client(Buffer.alloc(70 * 1024, 0x61));
    assert.ok(harness.clientText.endsWith('-ERR inboxguard: command line too long\r\n'));
    assert.equal(harness.serverText, '');
    assert.equal(harness.closes.length, 1);
  });
});

describe('bodies over maxScanBytes', () => {
  const message = bigMessage();
  const run = (split: Splitter, manualScan = false): Harness =>
    new Harness({ engine: { maxScanBytes: 1000 }, manualScan })
      .server(GREETING, split)
      .client('RETR 1\r\nNOOP\r\n', split)
      .server(retrReply(message) + '+OK\r\n', split);

  it('stream through unchanged with an event, in any chunking', () => {
    for (const split of [whole, byteByByte, randomSplits(3, 17), randomSplits(4, 400), randomSplits(5, 2)]) {
      const harness = run(split);
      assert.equal(harness.clientText, `${GREETING}${retrReply(message)}+OK\r\n`);
      assert.deepEqual(harness.eventsOf('body-unscanned').map(({ reason, seq, maxScanBytes }) => ({ reason, seq, maxScanBytes })), [
        { reason: 'too-large', seq: 1, maxScanBytes: 1000 },
      ]);
      const body = harness.bodies.get(1);
      assert.ok(body && !body.ended && body.released, 'never scanned, released at the end');
      // Memory stays bounded: the session got at most one chunk past the limit.
      const collected = harness.content(1).length;
      assert.ok(collected > 1000 && collected < message.length || split === whole, `collected ${collected}`);
    }
  });

  it('keep being collected while an earlier body is held, then stream in order', () => {
    for (const split of [whole, byteByByte, randomSplits(8, 50)]) {
      const harness = new Harness({ engine: { maxScanBytes: 1000 }, manualScan: true })
        .server(GREETING, split)
        .client('RETR 2\r\nRETR 1\r\nNOOP\r\n', split)
        .server(retrReply('small\r\n'), split)
        .server(retrReply(message).slice(0, 3000), split);
      assert.equal(harness.clientText, GREETING);
      harness.scan(1);
      assert.equal(harness.clientText, GREETING + retrReply('small\r\n') + retrReply(message).slice(0, 3000));
      harness.server(retrReply(message).slice(3000) + '+OK\r\n', split);
      assert.equal(harness.clientText, `${GREETING}${retrReply('small\r\n')}${retrReply(message)}+OK\r\n`);
    }
  });

  it('that complete behind an earlier held body are delivered whole, unscanned', () => {
    const harness = new Harness({ engine: { maxScanBytes: 1000 }, manualScan: true })
      .server(GREETING)
      .client('RETR 2\r\nRETR 1\r\n')
      .server(retrReply('small\r\n') + retrReply(message));
    assert.equal(harness.bodies.get(2)?.ended, false);
    harness.scan(1);
    assert.equal(harness.clientText, GREETING + retrReply('small\r\n') + retrReply(message));
    assert.deepEqual(harness.content(2).toString('latin1'), message);
  });
});

describe('hold timeout (maxHoldMs)', () => {
  it('streams a body still arriving from the server once the hold is too long', () => {
    const reply = retrReply(bigMessage());
    const harness = new Harness({ engine: { maxHoldMs: 1000 } })
      .tick(0)
      .server(GREETING)
      .client('RETR 1\r\n')
      .server(reply.slice(0, 2000))
      .tick(999);
    assert.equal(harness.clientText, GREETING);
    harness.tick(1000);
    assert.equal(harness.clientText, GREETING + reply.slice(0, 2000));
    assert.deepEqual(harness.eventsOf('body-unscanned').map((event) => event.reason), ['hold-timeout']);
    harness.server(reply.slice(2000));
    assert.equal(harness.clientText, GREETING + reply);
    assert.equal(harness.bodies.get(1)?.released, true);
  });

  it('reports a scan that takes too long once, and delivers what the session then decides', () => {
    const harness = new Harness({ engine: { maxHoldMs: 1000 }, manualScan: true })
      .server(GREETING)
      .client('RETR 1\r\n')
      .server(retrReply('hello\r\n'))
      .tick(5000)
      .tick(5999);
    assert.equal(harness.eventsOf('scan-timeout').length, 0);
    assert.equal(harness.clientText, GREETING);
    harness.tick(6000).tick(9000);
    assert.deepEqual(harness.eventsOf('scan-timeout').map(({ bodyId, heldMs }) => ({ bodyId, heldMs })), [{ bodyId: 1, heldMs: 1000 }]);
    assert.deepEqual(harness.deadlines, [1]);
    // The session settles it by scan.onError (the harness's: unchanged) and ignores the late verdict.
    assert.equal(harness.clientText, GREETING + retrReply('hello\r\n'));
    harness.scan(1, Buffer.from('replaced\r\n'));
    assert.equal(harness.clientText, GREETING + retrReply('hello\r\n'));
  });

  it('counts the hold of a queued body from when it reaches the front', () => {
    const harness = new Harness({ engine: { maxHoldMs: 1000 }, manualScan: true })
      .tick(0)
      .server(GREETING)
      .client('RETR 1\r\nRETR 2\r\n')
      .server(retrReply('one\r\n') + retrReply('two\r\n'))
      .tick(900)
      .scan(1)
      .tick(1500);
    assert.equal(harness.clientText, GREETING + retrReply('one\r\n'));
    assert.equal(harness.eventsOf('scan-timeout').length, 0);
    harness.tick(1900);
    assert.deepEqual(harness.eventsOf('scan-timeout').map(({ bodyId, heldMs }) => ({ bodyId, heldMs })), [{ bodyId: 2, heldMs: 1000 }]);
  });
});
