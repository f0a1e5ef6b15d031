// RETR and TOP tell the session that a body is coming (bodiesAhead), so a scan worker can start while it
// arrives; logging in, NOOP and a poll for new mail (STAT, LIST, UIDL) do not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Harness } from './harness.js';

const GREETING = '+OK POP3 ready\r\n';
const bodiesAhead = (harness: Harness) => harness.log.filter((output) => output.kind === 'bodiesAhead').length;

describe('POP3 bodiesAhead', () => {
  it('asks for none while logging in, on NOOP or on a poll for new mail', () => {
    const harness = new Harness().server(GREETING).client('USER alice\r\n').server('+OK\r\n').client('PASS secret\r\n').server('+OK\r\n');
    harness.client('NOOP\r\n').server('+OK\r\n');
    harness.client('STAT\r\n').server('+OK 1 120\r\n');
    harness.client('LIST\r\n').server('+OK\r\n1 120\r\n.\r\n');
    harness.client('UIDL\r\n').server('+OK\r\n1 abc\r\n.\r\n');
    assert.equal(bodiesAhead(harness), 0);
  });

  it('pipelined RETR, DELE and RETR stay one write to the server and ask once', () => {
    const harness = new Harness().server(GREETING).client('USER alice\r\n').server('+OK\r\n').client('PASS secret\r\n').server('+OK\r\n');
    const before = harness.toServerChunks.length;
    harness.client('RETR 1\r\nDELE 1\r\nRETR 2\r\n');
    assert.equal(harness.toServerChunks.length - before, 1, 'the three commands went in one write');
    assert.equal(bodiesAhead(harness), 1);
  });

  for (const command of ['RETR 1', 'TOP 1 0', 'retr 1']) {
    it(`asks once for ${command}`, () => {
      const harness = new Harness().server(GREETING).client('USER alice\r\n').server('+OK\r\n').client('PASS secret\r\n').server('+OK\r\n');
      harness.client(`${command}\r\n`);
      assert.equal(bodiesAhead(harness), 1);
    });
  }
});
