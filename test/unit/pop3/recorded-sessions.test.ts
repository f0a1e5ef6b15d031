// Replays sessions recorded from Dovecot 2.3 (test/fixtures/pop3/) through the engine.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MESSAGES } from '../../fixtures/pop3/messages.js';
import {
  FIXTURE_NAMES,
  MARKER,
  byteByByte,
  cleanScanner,
  loadFixture,
  longerScanner,
  observable,
  randomSplits,
  replay,
  sameLengthScanner,
  sideBytes,
  whole,
  type Fixture,
} from './harness.js';
import { decodeReplies } from './reference-client.js';

const fixtures = FIXTURE_NAMES.map(loadFixture);

/** What the client must see when nothing is replaced: the server's bytes minus the STLS capability. */
function expectedClientText(fixture: Fixture): string {
  return sideBytes(fixture, 'server').toString('latin1').replaceAll('\r\nSTLS\r\n', '\r\n');
}

/** Dovecot ends every message with a line ending on the wire (the empty message becomes "\r\n"). */
function retrContent(seq: number): string {
  const content = MESSAGES[seq - 1].content.toString('latin1');
  return content.endsWith('\n') ? content : `${content}\r\n`;
}

/** Client lines in order with "" for the greeting: each gets exactly one reply in these transcripts. */
function commandLines(fixture: Fixture): string[] {
  const lines = sideBytes(fixture, 'client').toString('latin1').split('\r\n');
  lines.pop();
  return ['', ...lines];
}

for (const fixture of fixtures) {
  describe(`recorded session ${fixture.name}`, () => {
    it('gives identical output and events whole, byte by byte and in random chunks', () => {
      const reference = observable(replay(fixture, whole));
      assert.deepEqual(observable(replay(fixture, byteByByte)), reference);
      for (const seed of [1, 2, 3, 4, 5]) {
        assert.deepEqual(observable(replay(fixture, randomSplits(seed, seed * 37))), reference, `seed ${seed}`);
      }
      assert.deepEqual(observable(replay(fixture, randomSplits(99, 70_000))), reference);
    });

    it('passes clean mail byte for byte and forwards every client byte', () => {
      const harness = replay(fixture, randomSplits(7, 300), { scanner: cleanScanner });
      assert.equal(harness.clientText, expectedClientText(fixture));
      assert.deepEqual(harness.toServer, sideBytes(fixture, 'client'));
      assert.deepEqual(harness.closes, ['server closed the connection']);
    });

    it('extracts every body exactly as stored, with its context', () => {
      const harness = replay(fixture, randomSplits(11, 500));
      assert.ok(harness.bodies.size > 0);
      for (const body of harness.bodies.values()) {
        const content = Buffer.concat(body.chunks).toString('latin1');
        assert.equal(body.context.protocol, 'pop3');
        assert.equal(body.context.user, 'alice');
        assert.ok(body.context.seq !== undefined);
        if (body.context.section === 'RETR') {
          assert.equal(content, retrContent(body.context.seq));
          assert.equal(body.context.truncated, undefined);
        } else {
          assert.equal(body.context.section, 'TOP');
          assert.equal(body.context.truncated, true);
          assert.ok(retrContent(body.context.seq).startsWith(content), 'TOP gives a prefix of the message');
          assert.ok(content.includes('\r\n\r\n'), 'TOP includes the header block');
        }
        assert.ok(body.ended && body.released);
        assert.equal(body.toClientCount, 1);
      }
    });

    it('replaces the marker with a same-length text and changes nothing else', () => {
      const harness = replay(fixture, randomSplits(13, 200), { scanner: sameLengthScanner });
      assert.equal(harness.clientText, expectedClientText(fixture).replaceAll(MARKER, 'X'.repeat(MARKER.length)));
      assert.equal(harness.eventsOf('body-size-changed').length, 0);
    });

    it('re-frames a longer replacement so that a client reads the replaced bodies', () => {
      const harness = replay(fixture, randomSplits(17, 1000), { scanner: longerScanner });
      const commands = commandLines(fixture);
      const fromServer = decodeReplies(commands, expectedClientText(fixture));
      const atClient = decodeReplies(commands, harness.clientText);
      const replacement = '[removed by inboxguard: test marker]';
      assert.deepEqual(
        atClient,
        fromServer.map((reply) => (reply.body === undefined ? reply : { ...reply, body: reply.body.replaceAll(MARKER, replacement) })),
      );
      const changed = harness.eventsOf('body-size-changed');
      for (const event of changed) {
        const original = harness.content(Number(event.bodyId)).toString('latin1');
        const markers = original.split(MARKER).length - 1;
        assert.equal(event.from, original.length);
        assert.equal(event.to, original.length + markers * (replacement.length - MARKER.length));
      }
      const markedBodies = [...harness.bodies.values()].filter((body) => Buffer.concat(body.chunks).includes(MARKER));
      assert.equal(changed.length, markedBodies.length);
    });

    it('logs the user and never a credential', () => {
      const harness = replay(fixture, whole);
      const logins = harness.eventsOf('login');
      assert.ok(logins.some((event) => event.ok === true && event.user === 'alice'));
      const logged = JSON.stringify(harness.events) + JSON.stringify([...harness.bodies.values()].map((body) => body.context));
      for (const secret of ['secret', 'wrong', 'c2VjcmV0', 'AGFsaWNlAHNlY3JldA==', 'AGFsaWNlAHdyb25n', 'PASS']) {
        assert.ok(!logged.includes(secret), `events mention ${secret}`);
      }
    });
  });
}

describe('recorded capabilities', () => {
  it('drops STLS from the pre-login CAPA and reports it', () => {
    const harness = replay(loadFixture('user-pass-basic'), whole);
    assert.ok(!harness.clientText.includes('STLS'));
    assert.ok(harness.clientText.includes('PIPELINING\r\nAUTH-RESP-CODE\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n'));
    assert.deepEqual(
      harness.eventsOf('capabilities-filtered').map((event) => event.removed),
      [['STLS']],
    );
  });

  it('reads a bare AUTH mechanism list as a multi-line reply', () => {
    const harness = replay(loadFixture('auth-plain'), whole);
    assert.ok(harness.clientText.startsWith('+OK Dovecot (Debian) ready.\r\n+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n+ \r\n+OK Logged in.\r\n'));
  });

  it('records logins with their method and outcome', () => {
    const harness = replay(loadFixture('auth-cancel-and-login'), whole);
    assert.deepEqual(
      harness.eventsOf('login').map(({ method, user, ok }) => ({ method, user, ok })),
      [
        { method: 'AUTH PLAIN', user: undefined, ok: false },
        { method: 'AUTH PLAIN', user: 'alice', ok: false },
        { method: 'AUTH LOGIN', user: 'alice', ok: true },
      ],
    );
  });
});
