// STAT, LIST, UIDL, RETR and TOP tell the session that bodies are likely next (bodiesAhead), so a scan
// worker can start before the first body needs it; logging in and NOOP do not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Harness } from './harness.js';

const GREETING = '+OK POP3 ready\r\n';
const bodiesAhead = (harness: Harness) => harness.log.filter((output) => output.kind === 'bodiesAhead').length;

describe('POP3 bodiesAhead', () => {
  it('asks for none while logging in or on NOOP', () => {
    const harness = new Harness().server(GREETING).client('USER alice\r\n').server('+OK\r\n').client('PASS secret\r\n').server('+OK\r\n');
    harness.client('NOOP\r\n').server('+OK\r\n');
    assert.equal(bodiesAhead(harness), 0);
  });

  for (const command of ['STAT', 'LIST', 'UIDL', 'RETR 1', 'TOP 1 0', 'stat']) {
    it(`asks once for ${command}`, () => {
      const harness = new Harness().server(GREETING).client('USER alice\r\n').server('+OK\r\n').client('PASS secret\r\n').server('+OK\r\n');
      harness.client(`${command}\r\n`);
      assert.equal(bodiesAhead(harness), 1);
    });
  }
});
