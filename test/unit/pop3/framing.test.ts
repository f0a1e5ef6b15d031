import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DotStuffer } from '../../../src/pop3/dot-stuffing.js';
import { Harness, MARKER, byteByByte, longerScanner, observable, randomSplits, whole, type Splitter } from './harness.js';
import { decodeReplies } from './reference-client.js';

const GREETING = '+OK POP3 ready\r\n';

function stuffed(content: string): string {
  const stuffer = new DotStuffer();
  const buffer = Buffer.from(content, 'latin1');
  return Buffer.concat([stuffer.push(buffer), stuffer.end()]).toString('latin1');
}

function multiLine(status: string, content: string): string {
  return `${status}\r\n${stuffed(content)}.\r\n`;
}

const MESSAGE_1 = 'Subject: one\r\n\r\n.hidden\r\n..\r\n.\r\nend\r\n';
const MESSAGE_2 = `Subject: two\r\n\r\n${MARKER}\r\n.${MARKER}\r\n`;
const MESSAGE_3 = 'Subject: three\r\n\r\nl1\r\nl2\r\n.l3\r\n';

const PIPELINE = 'UIDL\r\nLIST\r\nRETR 1\r\nRETR 2\r\nTOP 3 5\r\n';
const PIPELINE_REPLIES =
  multiLine('+OK', '1 aaa\r\n2 bbb\r\n3 ccc\r\n') +
  multiLine('+OK 3 messages', '1 40\r\n2 60\r\n3 30\r\n') +
  multiLine('+OK 40 octets', MESSAGE_1) +
  multiLine('+OK 60 octets', MESSAGE_2) +
  multiLine('+OK', MESSAGE_3);

function pipelined(split: Splitter, harness = new Harness()): Harness {
  return harness.server(GREETING, split).client('USER alice\r\nPASS pw\r\n', split).server('+OK\r\n+OK logged in\r\n', split).client(PIPELINE, split).server(PIPELINE_REPLIES, split);
}

describe('framing', () => {
  it('announces the size of a RETR body from "+OK n octets" (a hint for the spool), none for TOP', () => {
    const sizes = pipelined(whole).log.flatMap((output) => (output.kind === 'bodyBegin' ? [[output.context.section, output.size]] : []));
    assert.deepEqual(sizes, [
      ['RETR', 40],
      ['RETR', 60],
      ['TOP', undefined],
    ]);
  });

  it('frames pipelined UIDL, LIST, RETR 1, RETR 2, TOP 3 5 and extracts every body', () => {
    const harness = pipelined(whole);
    assert.equal(harness.serverText, `USER alice\r\nPASS pw\r\n${PIPELINE}`);
    const contents = [...harness.bodies.values()].map((body) => [body.context, harness.content(body.bodyId).toString('latin1')]);
    assert.deepEqual(contents, [
      // The UIDL listing earlier in the pipeline names each message.
      [{ protocol: 'pop3', section: 'RETR', seq: 1, uidl: 'aaa', user: 'alice' }, MESSAGE_1],
      [{ protocol: 'pop3', section: 'RETR', seq: 2, uidl: 'bbb', user: 'alice' }, MESSAGE_2],
      [{ protocol: 'pop3', section: 'TOP', seq: 3, uidl: 'ccc', user: 'alice', truncated: true }, MESSAGE_3],
    ]);
    const expected = (GREETING + '+OK\r\n+OK logged in\r\n' + PIPELINE_REPLIES).replaceAll(MARKER, 'X'.repeat(MARKER.length));
    assert.equal(harness.clientText, expected);
  });

  it('is chunk-boundary invariant, terminator split anywhere included', () => {
    const reference = observable(pipelined(whole));
    assert.deepEqual(observable(pipelined(byteByByte)), reference);
    for (let seed = 1; seed <= 30; seed += 1) assert.deepEqual(observable(pipelined(randomSplits(seed, 1 + (seed % 9)))), reference);
  });

  it('keeps -ERR to RETR and LIST with an argument single-line', () => {
    const harness = new Harness()
      .server(GREETING)
      .client('RETR 9\r\nLIST 1\r\nUIDL 1\r\nRETR 1\r\nLIST\r\n')
      .server('-ERR no such message\r\n+OK 1 40\r\n+OK 1 aaa\r\n')
      .server(multiLine('+OK', MESSAGE_1))
      .server('-ERR not now\r\n');
    assert.equal(harness.bodies.size, 1);
    assert.deepEqual(
      decodeReplies(['', 'RETR 9', 'LIST 1', 'UIDL 1', 'RETR 1', 'LIST'], harness.clientText).map((reply) => reply.status),
      ['+OK POP3 ready', '-ERR no such message', '+OK 1 40', '+OK 1 aaa', '+OK', '-ERR not now'],
    );
  });

  it('re-stuffs and terminates a replacement of a different size', () => {
    const harness = new Harness({ scanner: longerScanner }).server(GREETING).client('RETR 2\r\n').server(multiLine('+OK 60 octets', MESSAGE_2));
    const replaced = MESSAGE_2.replaceAll(MARKER, '[removed by inboxguard: test marker]');
    assert.equal(harness.clientText, GREETING + multiLine('+OK 60 octets', replaced));
    assert.ok(harness.clientText.includes('\r\n..[removed by inboxguard: test marker]\r\n.\r\n'));
    assert.deepEqual(
      harness.eventsOf('body-size-changed').map(({ seq, from, to, section }) => ({ seq, section, from, to })),
      [{ seq: 2, section: 'RETR', from: MESSAGE_2.length, to: replaced.length }],
    );
  });

  it('terminates a replacement that does not end with a line ending on a line of its own', () => {
    const harness = new Harness({ manualScan: true }).server(GREETING).client('RETR 1\r\n').server(multiLine('+OK', MESSAGE_1));
    harness.scan(1, Buffer.from('.no final line ending'));
    assert.equal(harness.clientText, `${GREETING}+OK\r\n..no final line ending\r\n.\r\n`);
  });

  it('delivers content without a stuffed line as it came (raw), and stuffs any other content or a replacement, at every chunking', () => {
    const plain = 'Subject: plain\r\n\r\nends with a dot.\r\n\r\n';
    const bareLf = 'Subject: bare\n\nline.\n';
    const reference = (split: Splitter) => {
      const harness = new Harness({ manualScan: true })
        .server(GREETING, split)
        .client('RETR 1\r\nRETR 2\r\nRETR 3\r\nRETR 4\r\n', split)
        .server(multiLine('+OK', plain) + multiLine('+OK', MESSAGE_1) + `+OK\r\n${bareLf}.\n` + multiLine('+OK', plain), split);
      harness.scan(1).scan(2).scan(3);
      // Nothing stuffed on the wire, but the replacement begins with a dot: it must be stuffed.
      harness.scan(4, Buffer.from('.replaced\r\n'));
      return harness;
    };
    const expected = `${GREETING}${multiLine('+OK', plain)}${multiLine('+OK', MESSAGE_1)}+OK\r\n${bareLf}.\n+OK\r\n..replaced\r\n.\r\n`;
    for (const split of [whole, byteByByte, randomSplits(7, 5)]) {
      const harness = reference(split);
      assert.equal(harness.clientText, expected);
      const encodings = harness.log.flatMap((output) => (output.kind === 'bodyToClient' ? [output.encoding] : []));
      assert.deepEqual(encodings, ['raw', 'pop3-dot-stuffed', 'raw', 'pop3-dot-stuffed']);
    }
  });

  it('handles a 0-byte body', () => {
    for (const split of [whole, byteByByte]) {
      const harness = new Harness().server(GREETING, split).client('RETR 1\r\nTOP 1 0\r\n', split).server('+OK 0 octets\r\n.\r\n+OK\r\n.\r\n', split);
      assert.equal(harness.clientText, `${GREETING}+OK 0 octets\r\n.\r\n+OK\r\n.\r\n`);
      assert.deepEqual([...harness.bodies.values()].map((body) => [body.chunks.length, body.ended, body.released]), [
        [0, true, true],
        [0, true, true],
      ]);
    }
  });

  it('accepts a bare-LF terminator from a sloppy server and passes it on', () => {
    const harness = new Harness().server(GREETING).client('RETR 1\r\nNOOP\r\n').server('+OK\r\na\n..b\n.\n+OK\r\n');
    assert.equal(harness.content(1).toString(), 'a\n.b\n');
    assert.equal(harness.clientText, `${GREETING}+OK\r\na\n..b\n.\n+OK\r\n`);
  });

  it('forwards LIST and UIDL lists as they arrive, before the terminator', () => {
    const harness = new Harness().server(GREETING).client('LIST\r\n').server('+OK 2 messages\r\n1 40\r\n');
    assert.equal(harness.clientText, `${GREETING}+OK 2 messages\r\n1 40\r\n`);
    harness.server('2 60\r\n.').server('\r\n');
    assert.equal(harness.clientText, `${GREETING}+OK 2 messages\r\n1 40\r\n2 60\r\n.\r\n`);
  });

  it('treats LANG without argument as multi-line (RFC 6856)', () => {
    const harness = new Harness().server(GREETING).client('LANG\r\nLANG fr\r\nNOOP\r\n').server('+OK\r\nen English\r\nfr Français\r\n.\r\n+OK Langue changée\r\n+OK\r\n');
    assert.deepEqual(harness.events, []);
    assert.equal(harness.closes.length, 0);
  });

  it('holds everything after a RETR until the scan, then releases in order', () => {
    const harness = new Harness({ manualScan: true })
      .server(GREETING)
      .client('RETR 1\r\nNOOP\r\nRETR 2\r\nSTAT\r\n')
      .server(multiLine('+OK', MESSAGE_1) + '+OK\r\n' + multiLine('+OK', MESSAGE_2) + '+OK 2 100\r\n');
    assert.equal(harness.clientText, GREETING);
    assert.ok(harness.engine.queuedClientBytes > 0);
    harness.scan(2);
    assert.equal(harness.clientText, GREETING, 'body 2 waits behind body 1');
    harness.scan(1);
    assert.equal(
      harness.clientText,
      GREETING + multiLine('+OK', MESSAGE_1) + '+OK\r\n' + multiLine('+OK', MESSAGE_2.replaceAll(MARKER, 'X'.repeat(MARKER.length))) + '+OK 2 100\r\n',
    );
    assert.equal(harness.engine.queuedClientBytes, 0);
    const kinds = harness.log.filter((output) => !['bodyData', 'toServer', 'wakeUp', 'bodiesAhead'].includes(output.kind)).map((output) => output.kind);
    assert.deepEqual(kinds, [
      'toClient', 'bodyBegin', 'bodyEnd', 'bodyBegin', 'bodyEnd',
      'toClient', 'bodyToClient', 'toClient', 'bodyRelease', 'toClient',
      'toClient', 'bodyToClient', 'toClient', 'bodyRelease', 'toClient',
    ]);
  });

  it('ignores scanned() for unknown or already answered bodies', () => {
    const harness = new Harness({ manualScan: true }).server(GREETING).client('RETR 1\r\n').server(multiLine('+OK', MESSAGE_1));
    harness.engine.scanned(42, { size: 1, changed: true });
    harness.scan(1);
    const before = harness.clientText;
    harness.engine.scanned(1, { size: 1, changed: true });
    assert.deepEqual(harness.engine.drain(), []);
    assert.equal(harness.clientText, before);
  });

  it('without expectGreeting, the first server line answers the first command', () => {
    const harness = new Harness({ engine: { expectGreeting: false } }).client('CAPA\r\n').server('+OK\r\nUSER\r\n.\r\n');
    assert.equal(harness.clientText, '+OK\r\nUSER\r\n.\r\n');
  });
});
