// LIST and STAT after a rewrite report the size RETR delivered (issue 12 §5), DELE and RSET included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DotStuffer } from '../../../src/pop3/dot-stuffing.js';
import { Harness, MARKER, byteByByte, longerScanner } from './harness.js';

const GREETING = '+OK POP3 ready\r\n';
const MESSAGE_1 = 'Subject: one\r\n\r\nclean\r\n';
const MESSAGE_2 = `Subject: two\r\n\r\n${MARKER}\r\n`;
/** longerScanner replaces the marker by a notice this many bytes longer. */
const GROWTH = '[removed by inboxguard: test marker]'.length - MARKER.length;

function multiLine(status: string, content: string): string {
  const stuffer = new DotStuffer();
  return `${status}\r\n${Buffer.concat([stuffer.push(Buffer.from(content, 'latin1')), stuffer.end()]).toString('latin1')}.\r\n`;
}

const sizes = `1 ${MESSAGE_1.length}\r\n2 ${MESSAGE_2.length}\r\n`;
const total = MESSAGE_1.length + MESSAGE_2.length;

function afterRetr(split = byteByByte): Harness {
  return new Harness({ scanner: longerScanner })
    .server(GREETING)
    .client('RETR 2\r\n')
    .server(multiLine(`+OK ${MESSAGE_2.length} octets`, MESSAGE_2), split);
}

describe('POP3 sizes after a rewrite', () => {
  it('LIST, LIST n and STAT report the delivered size once RETR delivered a longer message', () => {
    const harness = afterRetr();
    const before = harness.clientText.length;
    harness.client('LIST\r\nLIST 2\r\nLIST 1\r\nSTAT\r\n').server(multiLine('+OK 2 messages', sizes), byteByByte);
    harness.server(`+OK 2 ${MESSAGE_2.length}\r\n+OK 1 ${MESSAGE_1.length}\r\n+OK 2 ${total}\r\n`, byteByByte);
    const expected =
      multiLine('+OK 2 messages', `1 ${MESSAGE_1.length}\r\n2 ${MESSAGE_2.length + GROWTH}\r\n`) +
      `+OK 2 ${MESSAGE_2.length + GROWTH}\r\n+OK 1 ${MESSAGE_1.length}\r\n+OK 2 ${total + GROWTH}\r\n`;
    assert.equal(harness.clientText.slice(before), expected);
    assert.equal(harness.eventsOf('body-size-changed').length, 1);
  });

  it('STAT leaves out a rewritten message once DELE marked it, and counts it again after RSET', () => {
    const harness = afterRetr();
    const before = harness.clientText.length;
    harness.client('DELE 2\r\nSTAT\r\nRSET\r\nSTAT\r\n');
    harness.server(`+OK Marked to be deleted.\r\n+OK 1 ${MESSAGE_1.length}\r\n+OK\r\n+OK 2 ${total}\r\n`);
    assert.equal(harness.clientText.slice(before), `+OK Marked to be deleted.\r\n+OK 1 ${MESSAGE_1.length}\r\n+OK\r\n+OK 2 ${total + GROWTH}\r\n`);
  });

  it('changes nothing when no rewrite changed a size, nor for -ERR or TOP', () => {
    const replies = multiLine('+OK', sizes) + `-ERR no such message\r\n+OK 2 ${total}\r\n`;
    const harness = new Harness({ scanner: longerScanner }).server(GREETING).client('TOP 2 0\r\n').server(multiLine('+OK', MESSAGE_2));
    const before = harness.clientText.length;
    harness.client('LIST\r\nLIST 9\r\nSTAT\r\n').server(replies);
    assert.equal(harness.clientText.slice(before), replies);
  });
});
