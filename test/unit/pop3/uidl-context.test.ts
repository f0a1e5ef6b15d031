// A body's context names the message's UIDL when the client listed it earlier in the session (a message
// released before its analysis ended can then be named by the id POP3 clients keep). The replies pass unchanged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DotStuffer } from '../../../src/pop3/dot-stuffing.js';
import { Harness, byteByByte, randomSplits } from './harness.js';

const GREETING = '+OK POP3 ready\r\n';
const MESSAGE = 'Subject: one\r\n\r\nclean\r\n';

function multiLine(status: string, content: string): string {
  const stuffer = new DotStuffer();
  return `${status}\r\n${Buffer.concat([stuffer.push(Buffer.from(content, 'latin1')), stuffer.end()]).toString('latin1')}.\r\n`;
}

const contexts = (harness: Harness) => [...harness.bodies.values()].map((body) => ({ seq: body.context.seq, uidl: body.context.uidl }));

describe('POP3 bodies carry the UIDL the client was told', () => {
  for (const [name, split] of [['byte by byte', byteByByte], ['random', randomSplits(7, 9)]] as const) {
    it(`from the UIDL listing and from UIDL n (${name})`, () => {
      const listing = multiLine('+OK', '1 000001a7\r\n2 000001a8\r\n');
      const harness = new Harness().server(GREETING).client('UIDL\r\nUIDL 3\r\nRETR 2\r\nRETR 3\r\nRETR 1\r\n');
      harness.server(`${listing}+OK 3 zz-third_id\r\n`, split);
      for (let n = 0; n < 3; n++) harness.server(multiLine(`+OK ${MESSAGE.length} octets`, MESSAGE), split);
      assert.ok(harness.clientText.startsWith(`${GREETING}${listing}+OK 3 zz-third_id\r\n`), 'the replies pass unchanged');
      assert.deepEqual(contexts(harness), [
        { seq: 2, uidl: '000001a8' },
        { seq: 3, uidl: 'zz-third_id' },
        { seq: 1, uidl: '000001a7' },
      ]);
    });
  }

  it('no UIDL asked: the context has none', () => {
    const harness = new Harness().server(GREETING).client('RETR 1\r\n').server(multiLine(`+OK ${MESSAGE.length} octets`, MESSAGE));
    assert.deepEqual(contexts(harness), [{ seq: 1, uidl: undefined }]);
  });
});
