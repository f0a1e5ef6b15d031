// Replays real Dovecot 2.3 sessions (recorded by test/fixtures/imap/record-dovecot.ts) through the
// engine, split at every kind of chunk boundary.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MARKER, SAME_LENGTH, bytewise, markerScanner, passThroughScanner, randomSplits, runScript, whole, type Chunker } from './harness.js';
import { loadSession, serverBytes, withoutTimings } from './fixtures.js';

const fetchSession = loadSession('dovecot-fetch');
const appendSession = loadSession('dovecot-append-idle');

const chunkers: Array<[string, Chunker]> = [
  ['whole steps', whole],
  ['one byte at a time', bytewise],
  ['random splits (seed 1, up to 7 bytes)', randomSplits(1, 7)],
  ['random splits (seed 2, up to 64 bytes)', randomSplits(2, 64)],
  ['random splits (seed 3, up to 4096 bytes)', randomSplits(3, 4096)],
  ['random splits (seed 4, up to 70000 bytes)', randomSplits(4, 70000)],
];

for (const [name, session] of [
  ['dovecot-fetch', fetchSession],
  ['dovecot-append-idle', appendSession],
] as const) {
  describe(`recorded session ${name}`, () => {
    test('the same output bytes and events whatever the chunking', () => {
      const reference = runScript(session.steps, whole).snapshot();
      for (const [label, chunker] of chunkers.slice(1)) {
        const snapshot = runScript(session.steps, chunker).snapshot();
        assert.deepEqual(snapshot, reference, `chunking: ${label}`);
      }
    });

    test('sends upstream exactly what it sent while recording', () => {
      const driver = runScript(session.steps, randomSplits(9, 13));
      assert.ok(driver.serverBytes.equals(session.toServer));
    });

    test('no marker reaches the client; every body was scanned and released', () => {
      const driver = runScript(session.steps, randomSplits(5, 300));
      assert.ok(driver.bodies.size > 0);
      assert.equal(driver.clientText.includes(MARKER), false);
      assert.ok(driver.clientText.includes(SAME_LENGTH));
      for (const body of driver.bodies.values()) {
        assert.ok(body.ended && body.final, `body ${body.id} scanned`);
      }
      assert.equal(driver.closed, undefined);
    });
  });
}

describe('dovecot-fetch against a direct connection', () => {
  const direct = fetchSession.direct;
  assert.ok(direct);

  test('with nothing replaced, the client gets what Dovecot sends a direct client, rewritten partial fetches included', () => {
    const driver = runScript(fetchSession.steps, randomSplits(11, 500), { scanner: passThroughScanner });
    assert.equal(withoutTimings(driver.clientBytes), withoutTimings(direct));
  });

  test('with same-length replacements, the client gets the direct bytes with every marker replaced', () => {
    const driver = runScript(fetchSession.steps, randomSplits(12, 2000), { scanner: markerScanner() });
    // Slices that cut a marker in half come from the scanned copy too (a16: BODY[TEXT]<0.32>).
    const cutMarker = /INBOXGUARD-[A-Z-]*(?=\)\r\n)/g;
    assert.equal(withoutTimings(direct).match(cutMarker)?.length, 2);
    const expected = withoutTimings(direct)
      .split(MARKER)
      .join(SAME_LENGTH)
      .replace(cutMarker, (cut) => 'X'.repeat(cut.length));
    assert.equal(withoutTimings(driver.clientBytes), expected);
  });

  test('Thunderbird chunks (<0.65536>, <65536.65536>, <131072.65536>) reassemble to the scanned message', () => {
    const driver = runScript(fetchSession.steps, whole);
    const text = driver.clientText;
    const chunks: string[] = [];
    const re = /\* 3 FETCH \(UID 3 RFC822\.SIZE 150000 FLAGS \(\) BODY\[\]<(\d+)> \{(\d+)\}\r\n/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const start = m.index + m[0].length;
      chunks.push(text.slice(start, start + Number(m[2])));
    }
    assert.equal(chunks.length, 3);
    const scanned = [...driver.bodies.values()].find((b) => b.context.uid === 3 && b.context.section === 'BODY[]');
    assert.ok(scanned?.final);
    assert.equal(chunks.join(''), scanned.final.toString('latin1'));
    // Only the first chunk was fetched whole and scanned; the others came from the cache.
    assert.equal([...driver.bodies.values()].filter((b) => b.context.uid === 3 && b.context.section === 'BODY[]').length, 1);
  });

  test('the upstream stream differs from the client stream only where partial fetches were rewritten', () => {
    const upstream = serverBytes(fetchSession).toString('latin1');
    assert.match(upstream, /\* 3 FETCH \(UID 3 RFC822\.SIZE 150000 FLAGS \(\) BODY\[\] \{150000\}/);
    assert.match(fetchSession.toServer.toString('latin1'), /^a9 UID FETCH 3 \(UID RFC822\.SIZE FLAGS BODY\.PEEK\[\]\)\r$/m);
    // Later chunks come from the scanned copy: Dovecot is asked only for the rest of the command.
    assert.match(fetchSession.toServer.toString('latin1'), /^a10 UID FETCH 3 \(UID RFC822\.SIZE FLAGS\)\r$/m);
    assert.match(fetchSession.toServer.toString('latin1'), /^a13 UID FETCH 2 \(UID\)\r$/m);
    assert.doesNotMatch(upstream, /BODY\[\]<65536>/, 'no later chunk came from the server');
    assert.match(fetchSession.toServer.toString('latin1'), /^a15 FETCH 1 \(FLAGS BODY\.PEEK\[\] UID\)\r$/m);
  });
});

describe('dovecot-append-idle', () => {
  test('client bytes reach Dovecot unchanged except the commands the engine answers itself', () => {
    const driver = runScript(appendSession.steps, bytewise);
    const sent = driver.serverText;
    assert.doesNotMatch(sent, /^b[23] /m);
    assert.match(sent, /^b4 APPEND INBOX \{484\}\r\n[\s\S]*\r\nb5 APPEND INBOX \(\\Seen\) \{484\+\}\r\n/m);
    assert.match(sent, /^b9 IDLE\r\nDONE\r\n/m);
    assert.match(driver.clientText, /^b2 BAD inboxguard: STARTTLS is not available at this point\r\n/m);
    assert.match(driver.clientText, /^b3 NO inboxguard: COMPRESS is not supported through the scanning proxy\r\n/m);
    assert.match(driver.clientText, /^\+ idling\r\n\* 8 EXISTS\r\n/m);
    const login = driver.events.find((e) => e.type === 'imap-login');
    assert.deepEqual(login, { type: 'imap-login', protocol: 'imap', method: 'AUTHENTICATE', user: 'alice' });
    assert.equal(JSON.stringify(driver.events).includes('secret'), false);
  });
});
