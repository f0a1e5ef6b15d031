// Which FETCH items are intercepted, how bodies stream to the session, and how the answer is
// re-framed and kept in order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MARKER, SAME_LENGTH, EngineDriver, markedMessage, markerScanner, selectedSession } from './harness.js';

const MSG = markedMessage();
const SCANNED = MSG.replace(MARKER, SAME_LENGTH);

describe('intercepted FETCH items', () => {
  test('BODY[] literal: streamed to the session, re-framed with the scanned content', () => {
    const d = selectedSession();
    d.client('a3 UID FETCH 7 (UID RFC822.SIZE BODY.PEEK[])\r\n');
    d.server(`* 1 FETCH (UID 7 RFC822.SIZE ${MSG.length} BODY[] {${MSG.length}}\r\n${MSG})\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 7 RFC822.SIZE ${MSG.length} BODY[] {${SCANNED.length}}\r\n${SCANNED})\r\na3 OK done\r\n`);
    const [body] = d.bodyList;
    assert.deepEqual(body.context, {
      protocol: 'imap',
      section: 'BODY[]',
      seq: 1,
      user: 'alice',
      mailbox: 'INBOX',
      uidValidity: '42',
      uid: 7,
      isPart: false,
      decoded: false,
    });
    assert.equal(body.declaredSize, MSG.length);
    assert.equal(Buffer.concat(body.chunks).toString('latin1'), MSG);
    assert.ok(body.released, 'released after it was written');
  });

  for (const [item, section, isPart] of [
    ['RFC822', 'RFC822', false],
    ['RFC822.TEXT', 'RFC822.TEXT', false],
    ['BODY[TEXT]', 'BODY[TEXT]', false],
    ['BODY[1]', 'BODY[1]', true],
    ['BODY[1.2]', 'BODY[1.2]', true],
    ['BODY[2.TEXT]', 'BODY[2.TEXT]', false],
  ] as const) {
    test(`${item} is scanned`, () => {
      const d = selectedSession();
      d.server(`* 4 FETCH (${item} {${MSG.length}}\r\n${MSG} UID 9)\r\n`);
      assert.equal(d.takeClient(), `* 4 FETCH (${item} {${SCANNED.length}}\r\n${SCANNED} UID 9)\r\n`);
      assert.equal(d.bodyList.length, 1);
      assert.equal(d.bodyList[0].context.section, section);
      assert.equal(d.bodyList[0].context.isPart, isPart);
      assert.equal(d.bodyList[0].context.seq, 4);
    });
  }

  test('BINARY[1] literal8 keeps NUL bytes and is re-framed as ~{n}', () => {
    const d = selectedSession();
    const content = Buffer.concat([Buffer.from(`a\u0000b ${MARKER} \u0000\r\n`, 'latin1')]);
    d.server(Buffer.concat([Buffer.from(`* 2 FETCH (UID 3 BINARY[1] ~{${content.length}}\r\n`), content, Buffer.from(')\r\n')]));
    const expected = Buffer.from(content.toString('latin1').replace(MARKER, SAME_LENGTH), 'latin1');
    assert.ok(Buffer.from(d.takeClient(), 'latin1').equals(Buffer.concat([Buffer.from(`* 2 FETCH (UID 3 BINARY[1] ~{${expected.length}}\r\n`), expected, Buffer.from(')\r\n')])));
    assert.equal(d.bodyList[0].context.decoded, true);
    assert.equal(d.bodyList[0].context.section, 'BINARY[1]');
  });

  test('header-only sections and structure items pass through untouched', () => {
    const d = selectedSession();
    const header = `Subject: ${MARKER}\r\n\r\n`;
    const lines = [
      `* 1 FETCH (UID 1 BODY[HEADER] {${header.length}}\r\n${header})\r\n`,
      `* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {${header.length}}\r\n${header})\r\n`,
      `* 1 FETCH (BODY[HEADER.FIELDS.NOT (X-SPAM)] {${header.length}}\r\n${header})\r\n`,
      `* 1 FETCH (BODY[1.MIME] {${header.length}}\r\n${header} BODY[2.HEADER] "${MARKER}")\r\n`,
      `* 1 FETCH (RFC822.HEADER {${header.length}}\r\n${header})\r\n`,
      `* 1 FETCH (BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 5 1 NIL NIL NIL NIL) BODY ("text" "plain" NIL NIL NIL "7bit" 5 1))\r\n`,
      `* 1 FETCH (BINARY.SIZE[1] 5 FLAGS (\\Seen $${MARKER}))\r\n`,
    ];
    for (const line of lines) d.server(line);
    assert.equal(d.takeClient(), lines.join(''));
    assert.equal(d.bodies.size, 0);
  });

  test('quoted body: unchanged stays the same bytes, changed becomes a literal', () => {
    const d = selectedSession();
    d.server('* 1 FETCH (BODY[1] "plain \\"text\\" here" UID 4)\r\n');
    assert.equal(d.takeClient(), '* 1 FETCH (BODY[1] "plain \\"text\\" here" UID 4)\r\n');
    assert.equal(Buffer.concat(d.bodyList[0].chunks).toString(), 'plain "text" here');
    d.server(`* 1 FETCH (BODY[2] "x ${MARKER} \\\\ y" UID 4)\r\n`);
    const scanned = `x ${SAME_LENGTH} \\ y`;
    assert.equal(d.takeClient(), `* 1 FETCH (BODY[2] {${scanned.length}}\r\n${scanned} UID 4)\r\n`);
  });

  test('NIL and empty bodies', () => {
    const d = selectedSession();
    d.server('* 1 FETCH (UID 1 BODY[3] NIL BODY[] {0}\r\n)\r\n');
    assert.equal(d.takeClient(), '* 1 FETCH (UID 1 BODY[3] NIL BODY[] {0}\r\n)\r\n');
    assert.equal(d.bodyList.length, 1);
    assert.equal(d.bodyList[0].declaredSize, 0);
  });

  test('UID after the body: the scan starts once it is known and names it, the rest of the response is held until the verdict', () => {
    const d = selectedSession({ autoScan: false });
    d.server(`* 5 FETCH (BODY[] {${MSG.length}}\r\n${MSG} UID 77 FLAGS (\\Seen))\r\n* 6 EXISTS\r\n`);
    assert.equal(d.takeClient(), '');
    assert.equal(d.bodyList[0].context.uid, 77);
    d.scan();
    assert.equal(d.takeClient(), `* 5 FETCH (BODY[] {${SCANNED.length}}\r\n${SCANNED} UID 77 FLAGS (\\Seen))\r\n* 6 EXISTS\r\n`);
  });

  test('two intercepted items in one response, scanned in reverse order, written in wire order', () => {
    const d = selectedSession({ autoScan: false });
    const two = markedMessage(' second');
    d.server(`* 1 FETCH (UID 3 BODY[1] {${MSG.length}}\r\n${MSG} BODY[2] {${two.length}}\r\n${two})\r\na9 OK done\r\n`);
    assert.equal(d.awaitingScan.length, 2);
    d.scan([d.awaitingScan[1]]);
    assert.equal(d.takeClient(), '');
    d.scan();
    const scannedTwo = two.replace(MARKER, SAME_LENGTH);
    assert.equal(
      d.takeClient(),
      `* 1 FETCH (UID 3 BODY[1] {${SCANNED.length}}\r\n${SCANNED} BODY[2] {${scannedTwo.length}}\r\n${scannedTwo})\r\na9 OK done\r\n`,
    );
  });

  test('different-length replacement re-frames the literal with the final size', () => {
    const d = selectedSession({ scanner: markerScanner('[removed]') });
    d.server(`* 1 FETCH (UID 3 BODY[] {${MSG.length}}\r\n${MSG})\r\n`);
    const scanned = MSG.replace(MARKER, '[removed]');
    assert.equal(d.takeClient(), `* 1 FETCH (UID 3 BODY[] {${scanned.length}}\r\n${scanned})\r\n`);
  });

  test('bodies above maxScanBytes stream through unscanned, with an event', () => {
    const d = selectedSession({ engine: { maxScanBytes: 10, listener: 'work' } });
    d.server(`* 1 FETCH (UID 3 BODY[] {${MSG.length}}\r\n${MSG.slice(0, 20)}`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 3 BODY[] {${MSG.length}}\r\n${MSG.slice(0, 20)}`);
    d.server(`${MSG.slice(20)})\r\n`);
    assert.equal(d.takeClient(), `${MSG.slice(20)})\r\n`);
    assert.equal(d.bodies.size, 0);
    assert.deepEqual(d.takeEvents(), [
      {
        type: 'body-unscanned',
        reason: 'too-large',
        protocol: 'imap',
        section: 'BODY[]',
        seq: 1,
        size: MSG.length,
        uid: 3,
        mailbox: 'INBOX',
        uidValidity: '42',
        user: 'alice',
        listener: 'work',
      },
    ]);
  });
});

describe('streaming and ordering', () => {
  test('body content goes to the session as it arrives; the client sees nothing of the response yet', () => {
    const d = selectedSession({ autoScan: false });
    d.server(`* 1 FETCH (UID 3 BODY[] {${MSG.length}}\r\n${MSG.slice(0, 10)}`);
    assert.equal(Buffer.concat(d.bodyList[0].chunks).toString(), MSG.slice(0, 10));
    assert.equal(d.takeClient(), '');
    d.server(`${MSG.slice(10)})\r\n* 2 EXISTS\r\n+ go ahead\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), '');
    d.scan();
    assert.equal(d.takeClient(), `* 1 FETCH (UID 3 BODY[] {${SCANNED.length}}\r\n${SCANNED})\r\n* 2 EXISTS\r\n+ go ahead\r\na3 OK done\r\n`);
  });

  test('several held responses resolve in wire order whatever the scan order', () => {
    const d = selectedSession({ autoScan: false });
    for (const seq of [1, 2, 3]) d.server(`* ${seq} FETCH (UID ${seq} BODY[] {${MSG.length}}\r\n${MSG})\r\n`);
    const [a, b, c] = d.awaitingScan;
    d.scan([c, b]);
    assert.equal(d.takeClient(), '');
    d.scan([a]);
    const expected = [1, 2, 3].map((seq) => `* ${seq} FETCH (UID ${seq} BODY[] {${SCANNED.length}}\r\n${SCANNED})\r\n`).join('');
    assert.equal(d.takeClient(), expected);
  });

  test('lines that are not FETCH go out as soon as they are complete', () => {
    const d = selectedSession();
    d.server('* 4 EXI');
    assert.equal(d.takeClient(), '');
    d.server('STS\r\n* 1 RECENT\r\n* SEARCH 1 2');
    assert.equal(d.takeClient(), '* 4 EXISTS\r\n* 1 RECENT\r\n');
    d.server(' 3\r\n');
    assert.equal(d.takeClient(), '* SEARCH 1 2 3\r\n');
  });

  test('literals that are not intercepted stream as they arrive', () => {
    const d = selectedSession();
    d.server('* 1 FETCH (UID 5 BODY[HEADER] {300}\r\n');
    assert.equal(d.takeClient(), '* 1 FETCH (UID 5 BODY[HEADER] {300}\r\n');
    d.server('x'.repeat(100));
    assert.equal(d.takeClient(), 'x'.repeat(100));
    d.server('* LIST () "/" {5}\r\n'.padEnd(200, 'y'));
    assert.equal(d.takeClient().length, 200);
  });

  test('a literal inside ENVELOPE streams, and a body after it is still scanned', () => {
    const d = selectedSession();
    const subject = 'Gr\u00fc\u00dfe "x" {5}';
    const response = `* 5 FETCH (UID 5 ENVELOPE (NIL {${Buffer.byteLength(subject, 'latin1')}}\r\n${subject} NIL NIL NIL NIL NIL NIL NIL NIL) BODY[] {${MSG.length}}\r\n${MSG})\r\n`;
    d.server(response);
    assert.equal(d.takeClient(), response.replace(MARKER, SAME_LENGTH));
    assert.equal(d.bodyList.length, 1);
  });

  test('unsolicited FETCH responses pass untouched', () => {
    const d = selectedSession();
    const line = '* 3 FETCH (FLAGS (\\Seen \\Answered) UID 9 MODSEQ (12345))\r\n';
    d.server(line);
    assert.equal(d.takeClient(), line);
  });

  test('bare LF line endings are tolerated and kept', () => {
    const d = selectedSession();
    d.server(`* 1 FETCH (UID 2 BODY[] {${MSG.length}}\n${MSG})\n* 2 EXISTS\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 2 BODY[] {${SCANNED.length}}\n${SCANNED})\n* 2 EXISTS\n`);
  });

  test('an unreadable FETCH response passes through as it came', () => {
    const d = selectedSession();
    const weird = '* 1 FETCH (UID 2 BODY[] "unterminated\r\n* 1 FETCH garbage (((\r\n';
    d.server(weird);
    assert.equal(d.takeClient(), weird);
    assert.equal(d.takeEvents().filter((e) => e.type === 'imap-parse-error').length, 1);
  });
});

describe('end of stream', () => {
  test('server closes in the middle of a body: the body is released, then close', () => {
    const d = selectedSession({ autoScan: false });
    d.server(`* 1 FETCH (UID 3 BODY[] {${MSG.length}}\r\n${MSG.slice(0, 5)}`);
    d.end('server');
    assert.ok(d.bodyList[0].released);
    assert.match(d.closed ?? '', /server closed/);
  });

  test('server closes while a body is being scanned: close follows the held response', () => {
    const d = selectedSession({ autoScan: false });
    d.server(`* 1 FETCH (UID 3 BODY[] {${MSG.length}}\r\n${MSG})\r\n* BYE bye\r\n`);
    d.end('server');
    assert.equal(d.closed, undefined);
    d.scan();
    assert.equal(d.takeClient(), `* 1 FETCH (UID 3 BODY[] {${SCANNED.length}}\r\n${SCANNED})\r\n* BYE bye\r\n`);
    assert.match(d.closed ?? '', /server closed/);
  });

  test('client closes: everything is released and the engine asks to close', () => {
    const d = new EngineDriver({ autoScan: false });
    d.server(`* 1 FETCH (UID 3 BODY[] {${MSG.length}}\r\n${MSG})\r\n`);
    d.end('client');
    assert.ok(d.bodyList.every((b) => b.released));
    assert.match(d.closed ?? '', /client closed/);
  });
});
