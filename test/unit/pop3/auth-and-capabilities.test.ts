import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterCapabilityLine, filterMechanismLine } from '../../../src/pop3/capability-filter.js';
import { replyShapeFor, parseCommandLine } from '../../../src/pop3/command-queue.js';
import { saslUserName } from '../../../src/pop3/sasl.js';
import { Harness, byteByByte, observable, randomSplits, whole, type Splitter } from './harness.js';

const GREETING = '+OK POP3 ready\r\n';
const STLS_REFUSAL = '-ERR inboxguard: STLS is not available at this point\r\n';

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

describe('CAPA filtering', () => {
  const capa = '+OK Capability list follows\r\nTOP\r\nSTLS\r\nSASL PLAIN SCRAM-SHA-256 SCRAM-SHA-256-PLUS EXTERNAL\r\nPIPELINING\r\nUIDL\r\n.\r\n';

  it('removes STLS, channel-binding and EXTERNAL mechanisms, keeps the rest byte for byte', () => {
    for (const split of [whole, byteByByte]) {
      const harness = new Harness().server(GREETING, split).client('CAPA\r\n', split).server(capa, split);
      assert.equal(harness.clientText, `${GREETING}+OK Capability list follows\r\nTOP\r\nSASL PLAIN SCRAM-SHA-256\r\nPIPELINING\r\nUIDL\r\n.\r\n`);
      assert.deepEqual(harness.eventsOf('capabilities-filtered').map((event) => event.removed), [['STLS', 'SCRAM-SHA-256-PLUS', 'EXTERNAL']]);
    }
  });

  it('drops a SASL line left without mechanisms, and filters the bare AUTH list', () => {
    assert.equal(filterCapabilityLine(Buffer.from('SASL EXTERNAL\r\n')).line, undefined);
    assert.equal(filterCapabilityLine(Buffer.from('stls\r\n')).line, undefined);
    const unchanged = Buffer.from('IMPLEMENTATION STLS-less server\r\n');
    assert.equal(filterCapabilityLine(unchanged).line, unchanged);
    assert.equal(filterMechanismLine(Buffer.from('SCRAM-SHA-1-PLUS\r\n')).line, undefined);
    assert.equal(filterMechanismLine(Buffer.from('PLAIN\r\n')).line?.toString(), 'PLAIN\r\n');
    const harness = new Harness().server(GREETING).client('AUTH\r\n').server('+OK\r\nPLAIN\r\nSCRAM-SHA-256-PLUS\r\nLOGIN\r\n.\r\n');
    assert.equal(harness.clientText, `${GREETING}+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n`);
  });

  it('passes a CAPA -ERR as a single line', () => {
    const harness = new Harness().server(GREETING).client('CAPA\r\nNOOP\r\n').server('-ERR unknown command\r\n+OK\r\n');
    assert.equal(harness.clientText, `${GREETING}-ERR unknown command\r\n+OK\r\n`);
  });
});

describe('STLS after the prelude', () => {
  it('is answered by the engine and never forwarded', () => {
    const harness = new Harness().server(GREETING).client('STLS\r\n');
    assert.equal(harness.clientText, GREETING + STLS_REFUSAL);
    assert.equal(harness.serverText, '');
    assert.deepEqual(harness.eventsOf('command-refused').map((event) => event.command), ['STLS']);
  });

  it('is answered in its place within a pipeline', () => {
    const run = (split: Splitter): Harness =>
      new Harness()
        .server(GREETING, split)
        .client('CAPA\r\nstls\r\nNOOP\r\nSTLS\r\n', split)
        .server('+OK\r\nTOP\r\n.\r\n', split)
        .server('+OK noop\r\n', split);
    const harness = run(whole);
    assert.equal(harness.serverText, 'CAPA\r\nNOOP\r\n');
    assert.equal(harness.clientText, `${GREETING}+OK\r\nTOP\r\n.\r\n${STLS_REFUSAL}+OK noop\r\n${STLS_REFUSAL}`);
    assert.deepEqual(observable(run(byteByByte)), observable(harness));
  });

  it('waits behind a held body', () => {
    const harness = new Harness({ manualScan: true }).server(GREETING).client('RETR 1\r\nSTLS\r\n').server('+OK\r\nhi\r\n.\r\n');
    assert.equal(harness.clientText, GREETING);
    harness.scan(1);
    assert.equal(harness.clientText, `${GREETING}+OK\r\nhi\r\n.\r\n${STLS_REFUSAL}`);
  });
});

describe('AUTH exchanges', () => {
  it('forwards challenge responses without reading them as commands, through a "*" cancel', () => {
    const run = (split: Splitter): Harness =>
      new Harness()
        .server(GREETING, split)
        .client('AUTH X-TEST\r\n', split)
        .server('+ Y2hhbGxlbmdl\r\n', split)
        .client('STLS\r\n', split)
        .server('+ \r\n', split)
        .client('RETR 1\r\n', split)
        .server('+ bW9yZQ==\r\n', split)
        .client('*\r\n', split)
        .server('-ERR Authentication aborted\r\n', split)
        .client('RETR 1\r\n', split)
        .server('+OK\r\nbody\r\n.\r\n', split);
    const harness = run(whole);
    assert.equal(harness.serverText, 'AUTH X-TEST\r\nSTLS\r\nRETR 1\r\n*\r\nRETR 1\r\n');
    assert.equal(
      harness.clientText,
      `${GREETING}+ Y2hhbGxlbmdl\r\n+ \r\n+ bW9yZQ==\r\n-ERR Authentication aborted\r\n+OK\r\nbody\r\n.\r\n`,
    );
    assert.equal(harness.bodies.size, 1, 'only the RETR after the exchange is a command');
    assert.deepEqual(harness.eventsOf('login').map(({ method, ok }) => ({ method, ok })), [{ method: 'AUTH X-TEST', ok: false }]);
    for (let seed = 1; seed < 10; seed += 1) assert.deepEqual(observable(run(randomSplits(seed, 5))), observable(harness));
  });

  it('decodes the PLAIN user from an initial response and never logs the password', () => {
    const harness = new Harness()
      .server(GREETING)
      .client(`AUTH PLAIN ${b64('\0bob@example.org\0hunter2')}\r\n`)
      .server('+OK Logged in\r\n')
      .client('RETR 1\r\n')
      .server('+OK\r\nx\r\n.\r\n');
    assert.deepEqual(harness.eventsOf('login').map(({ method, user, ok }) => ({ method, user, ok })), [
      { method: 'AUTH PLAIN', user: 'bob@example.org', ok: true },
    ]);
    assert.equal(harness.bodies.get(1)?.context.user, 'bob@example.org');
    assert.ok(!JSON.stringify(harness.events).includes('hunter2'));
  });

  it('decodes the user from the first LOGIN response, not from the second', () => {
    const harness = new Harness()
      .server(GREETING)
      .client('AUTH LOGIN\r\n')
      .server('+ VXNlcm5hbWU6\r\n')
      .client(`${b64('carol')}\r\n`)
      .server('+ UGFzc3dvcmQ6\r\n')
      .client(`${b64('s3cret')}\r\n`)
      .server('+OK\r\n');
    assert.deepEqual(harness.eventsOf('login').map((event) => event.user), ['carol']);
    assert.ok(!JSON.stringify(harness.events).includes('s3cret'));
  });

  it('keeps client lines pipelined behind AUTH until the server has answered it', () => {
    const harness = new Harness().server(GREETING).client(`AUTH PLAIN\r\n${b64('\0dave\0pw')}\r\nSTAT\r\nSTLS\r\n`);
    assert.equal(harness.serverText, 'AUTH PLAIN\r\n');
    harness.server('+ \r\n');
    assert.equal(harness.serverText, `AUTH PLAIN\r\n${b64('\0dave\0pw')}\r\n`);
    harness.server('+OK Logged in\r\n');
    assert.equal(harness.serverText, `AUTH PLAIN\r\n${b64('\0dave\0pw')}\r\nSTAT\r\n`);
    harness.server('+OK 0 0\r\n');
    assert.equal(harness.clientText, `${GREETING}+ \r\n+OK Logged in\r\n+OK 0 0\r\n${STLS_REFUSAL}`);
    assert.deepEqual(harness.eventsOf('login').map((event) => event.user), ['dave']);
  });

  it('treats lines after a failed AUTH with initial response as commands', () => {
    const harness = new Harness().server(GREETING).client(`AUTH PLAIN ${b64('\0eve\0bad')}\r\nUSER eve\r\n`);
    assert.equal(harness.serverText, `AUTH PLAIN ${b64('\0eve\0bad')}\r\n`);
    harness.server('-ERR [AUTH] failed\r\n');
    assert.equal(harness.serverText, `AUTH PLAIN ${b64('\0eve\0bad')}\r\nUSER eve\r\n`);
    harness.client('PASS good\r\n').server('+OK\r\n+OK logged in\r\n');
    assert.deepEqual(harness.eventsOf('login').map(({ method, user, ok }) => ({ method, user, ok })), [
      { method: 'AUTH PLAIN', user: 'eve', ok: false },
      { method: 'USER', user: 'eve', ok: true },
    ]);
  });

  it('tracks APOP and USER names and ignores "+ " outside AUTH as invalid', () => {
    const harness = new Harness().server(GREETING).client('APOP frank c4c9334bac560ecc979e58001b3e22fb\r\n').server('+OK\r\n');
    assert.deepEqual(harness.eventsOf('login').map((event) => event.user), ['frank']);
    assert.ok(!JSON.stringify(harness.events).includes('c4c9334b'));
    harness.client('NOOP\r\n').server('+ what\r\n');
    assert.ok(harness.clientText.endsWith('-ERR inboxguard: the server sent an invalid reply\r\n'));
    assert.equal(harness.closes.length, 1);
  });
});

describe('command helpers', () => {
  it('classifies replies', () => {
    assert.equal(replyShapeFor('LIST', []).kind, 'multi');
    assert.equal(replyShapeFor('LIST', ['1']).kind, 'single');
    assert.equal(replyShapeFor('UIDL', []).kind, 'multi');
    assert.equal(replyShapeFor('TOP', ['3', '5']).kind, 'body');
    assert.equal(replyShapeFor('AUTH', []).kind, 'multi');
    assert.equal(replyShapeFor('AUTH', ['PLAIN']).kind, 'sasl');
    assert.equal(replyShapeFor('XTND', ['XLIST']).kind, 'single');
    assert.deepEqual(parseCommandLine(Buffer.from('list \r\n')), { keyword: 'LIST', args: [], text: 'list ' });
  });

  it('reads SASL user names only from PLAIN and LOGIN', () => {
    assert.equal(saslUserName('PLAIN', b64('admin\0alice\0pw')), 'alice');
    assert.equal(saslUserName('PLAIN', '='), undefined);
    assert.equal(saslUserName('PLAIN', '*'), undefined);
    assert.equal(saslUserName('PLAIN', b64('no separators')), undefined);
    assert.equal(saslUserName('LOGIN', b64('alice')), 'alice');
    assert.equal(saslUserName('CRAM-MD5', b64('alice 0123')), undefined);
    assert.equal(saslUserName('PLAIN', 'not base64!'), undefined);
  });
});
