// A section fetched on its own brings what its scan needs: the engine adds the message header, the
// part's MIME header and UID to the command, keeps them for the scan and cuts them from the answer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MARKER, SAME_LENGTH, bytewise, randomSplits, selectedSession, whole, type Chunker, type EngineDriver } from './harness.js';

const HEADER = 'From: a@example.org\r\nSubject: hi\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n';
const MIME = 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n';
const PART = `some ${MARKER} content`;
const CHUNKERS: Array<[string, Chunker]> = [
  ['whole', whole],
  ['byte by byte', bytewise],
  ['random splits up to 5', randomSplits(21, 5)],
  ['random splits up to 40', randomSplits(22, 40)],
];

function upstreamFor(command: string): string {
  const d = selectedSession();
  d.client(command);
  return d.takeServer();
}

describe('the command asks for what the scan needs', () => {
  const cases: Array<[string, string]> = [
    ['a3 FETCH 2 BODY.PEEK[TEXT]\r\n', 'a3 FETCH 2 (BODY.PEEK[HEADER] BODY.PEEK[TEXT] UID)\r\n'],
    ['a3 FETCH 2 RFC822.TEXT\r\n', 'a3 FETCH 2 (BODY.PEEK[HEADER] RFC822.TEXT UID)\r\n'],
    ['a3 UID FETCH 7 (BODY[2.1])\r\n', 'a3 UID FETCH 7 (BODY.PEEK[HEADER] BODY.PEEK[2.1.MIME] BODY[2.1])\r\n'],
    ['a3 UID FETCH 7 (BINARY.PEEK[3] FLAGS)\r\n', 'a3 UID FETCH 7 (BODY.PEEK[HEADER] BODY.PEEK[3.MIME] BINARY.PEEK[3] FLAGS)\r\n'],
    ['a3 UID FETCH 7 BODY.PEEK[2.TEXT]\r\n', 'a3 UID FETCH 7 (BODY.PEEK[HEADER] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT])\r\n'],
    ['a3 FETCH 2 BODY.PEEK[2]<0.1024>\r\n', 'a3 FETCH 2 (BODY.PEEK[HEADER] BODY.PEEK[2.MIME] BODY.PEEK[2] UID)\r\n'],
    // What the client fetches itself is not added again.
    ['a3 FETCH 2 (RFC822.HEADER BODY.PEEK[TEXT])\r\n', 'a3 FETCH 2 (RFC822.HEADER BODY.PEEK[TEXT] UID)\r\n'],
    ['a3 UID FETCH 7 (BODY.PEEK[2.MIME] BODY.PEEK[HEADER] BODY.PEEK[2])\r\n', 'a3 UID FETCH 7 (BODY.PEEK[2.MIME] BODY.PEEK[HEADER] BODY.PEEK[2])\r\n'],
    // Whole messages carry their header; UID FETCH carries the UID.
    ['a3 UID FETCH 7 BODY.PEEK[]\r\n', 'a3 UID FETCH 7 BODY.PEEK[]\r\n'],
    ['a3 FETCH 2 RFC822\r\n', 'a3 FETCH 2 (RFC822 UID)\r\n'],
    ['a3 FETCH 1:10 RFC822.SIZE\r\n', 'a3 FETCH 1:10 RFC822.SIZE\r\n'],
    ['a3 FETCH 2 RFC822.HEADER\r\n', 'a3 FETCH 2 RFC822.HEADER\r\n'],
  ];
  for (const [command, upstream] of cases) {
    test(command.trim(), () => assert.equal(upstreamFor(command), upstream));
  }
});

function partFetch(chunker: Chunker, answer: string): EngineDriver {
  const d = selectedSession();
  d.client('a3 FETCH 2 (FLAGS BODY.PEEK[2])\r\n');
  assert.equal(d.takeServer(), 'a3 FETCH 2 (BODY.PEEK[HEADER] BODY.PEEK[2.MIME] FLAGS BODY.PEEK[2] UID)\r\n');
  d.server(answer, chunker);
  return d;
}

const EXPECTED = `* 2 FETCH (FLAGS (\\Seen) BODY[2] {${PART.length}}\r\n${PART.replace(MARKER, SAME_LENGTH)})\r\na3 OK done\r\n`;

describe('the answer is the one the client asked for, at every chunking', () => {
  for (const [label, chunker] of CHUNKERS) {
    test(`Dovecot's order (UID first, headers before the part): ${label}`, () => {
      const d = partFetch(chunker, `* 2 FETCH (FLAGS (\\Seen) UID 8 BODY[HEADER] {${HEADER.length}}\r\n${HEADER} BODY[2.MIME] {${MIME.length}}\r\n${MIME} BODY[2] {${PART.length}}\r\n${PART})\r\na3 OK done\r\n`);
      assert.equal(d.takeClient(), EXPECTED);
      const [body] = d.bodyList;
      assert.equal(body.context.uid, 8);
      assert.equal(body.context.partHeader?.toString(), MIME);
      assert.equal(body.context.messageHeader?.toString(), HEADER);
      assert.equal(d.bodyList.length, 1, 'the headers are not scanned as bodies');
    });

    test(`headers first in the list, UID last, after the part: ${label}`, () => {
      const d = partFetch(chunker, `* 2 FETCH (BODY[HEADER] {${HEADER.length}}\r\n${HEADER} FLAGS (\\Seen) BODY[2] {${PART.length}}\r\n${PART} BODY[2.MIME] {${MIME.length}}\r\n${MIME} UID 8)\r\na3 OK done\r\n`);
      assert.equal(d.takeClient(), EXPECTED);
      const [body] = d.bodyList;
      assert.equal(body.context.uid, 8, 'the UID that came after the body reaches its scan');
      assert.equal(body.context.partHeader?.toString(), MIME);
      assert.equal(body.context.messageHeader?.toString(), HEADER);
    });
  }

  test('the scan of a part waits for a MIME header that comes after it, then starts with it', () => {
    const d = selectedSession({ autoScan: false });
    d.client('a3 UID FETCH 8 BODY.PEEK[2]\r\n');
    d.takeServer();
    d.server(`* 2 FETCH (UID 8 BODY[2] {${PART.length}}\r\n${PART}`);
    assert.equal(d.bodyList[0].ended, false, 'not ended before its header is known');
    d.server(` BODY[HEADER] {${HEADER.length}}\r\n${HEADER} BODY[2.MIME] {${MIME.length}}\r\n${MIME}`);
    assert.equal(d.bodyList[0].ended, true);
    assert.equal(d.bodyList[0].context.partHeader?.toString(), MIME);
    d.server(')\r\na3 OK done\r\n').scan();
    assert.equal(d.takeClient(), `* 2 FETCH (UID 8 BODY[2] {${PART.length}}\r\n${PART.replace(MARKER, SAME_LENGTH)})\r\na3 OK done\r\n`);
  });

  test('a server that will not give the MIME header: the part is scanned once its answer is complete, without it', () => {
    const d = partFetch(whole, `* 2 FETCH (FLAGS (\\Seen) UID 8 BODY[HEADER] {${HEADER.length}}\r\n${HEADER} BODY[2.MIME] NIL BODY[2] {${PART.length}}\r\n${PART})\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), EXPECTED);
    assert.equal(d.bodyList[0].context.partHeader, undefined);
    assert.equal(d.bodyList[0].context.messageHeader?.toString(), HEADER);
  });

  test('a header the client asked for itself is passed on and also used', () => {
    const d = selectedSession();
    d.client('a3 FETCH 2 (RFC822.HEADER BODY.PEEK[TEXT])\r\n');
    d.takeServer();
    const text = `--b\r\n\r\n${MARKER}\r\n--b--\r\n`;
    d.server(`* 2 FETCH (UID 8 RFC822.HEADER {${HEADER.length}}\r\n${HEADER} BODY[TEXT] {${text.length}}\r\n${text})\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), `* 2 FETCH (RFC822.HEADER {${HEADER.length}}\r\n${HEADER} BODY[TEXT] {${text.length}}\r\n${text.replace(MARKER, SAME_LENGTH)})\r\na3 OK done\r\n`);
    assert.equal(d.bodyList[0].context.messageHeader?.toString(), HEADER);
    assert.equal(d.bodyList[0].context.uid, 8);
  });

  test('an unsolicited FETCH in between keeps its UID', () => {
    const d = partFetch(whole, `* 1 FETCH (UID 4 FLAGS (\\Seen))\r\n* 2 FETCH (FLAGS (\\Seen) UID 8 BODY[HEADER] {${HEADER.length}}\r\n${HEADER} BODY[2.MIME] {${MIME.length}}\r\n${MIME} BODY[2] {${PART.length}}\r\n${PART})\r\na3 OK done\r\n`);
    assert.equal(d.takeClient(), `* 1 FETCH (UID 4 FLAGS (\\Seen))\r\n${EXPECTED}`);
  });
});

describe('pipelined fetches of the same section', () => {
  for (const [label, chunker] of CHUNKERS) {
    test(`each command gets its own slice (answers before the tagged responses): ${label}`, () => {
      const d = selectedSession();
      const message = `Subject: x\r\n\r\n${'0123456789'.repeat(10)}`;
      d.client('a3 FETCH 2 BODY.PEEK[]<0.40>\r\na4 FETCH 2 BODY.PEEK[]<40.40>\r\na5 FETCH 2 BODY.PEEK[]<80.40>\r\n');
      const answer = `* 2 FETCH (UID 8 BODY[] {${message.length}}\r\n${message})\r\n`;
      d.server(`${answer.repeat(3)}a3 OK done\r\na4 OK done\r\na5 OK done\r\n`, chunker);
      const slices = [0, 40, 80].map((origin) => `* 2 FETCH (BODY[]<${origin}> {${Math.min(40, message.length - origin)}}\r\n${message.slice(origin, origin + 40)})\r\n`);
      assert.equal(d.takeClient(), `${slices.join('')}a3 OK done\r\na4 OK done\r\na5 OK done\r\n`);
    });
  }
});
