// Issue 12 §5: sizes the client already knows stay true. Real Dovecot, the real scan pipeline, real clients:
// Thunderbird's pattern (sizes from a header listing, then 64 KiB chunks up to that size) and fetchmail over
// POP3 and IMAP, which compares what it receives with the announced size.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { walkMessage } from '../../src/mime/index.js';
import { eventsPath, readEvents } from '../../src/store/events.js';
import { fetchmailOnce } from '../helpers/fetchmail.js';
import { literalAfter, RawImap } from '../helpers/imap-raw.js';
import { randomBytesFromSeed, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { EICAR } from '../unit/scan/archive/archive-builders.js';
import { writeZip } from '../unit/scan/archive/zip-writer.js';

const skip = requireAll(requireDovecot(), requireCommand('fetchmail', 'fetchmail'));

const CHUNK = 65536;
const SIGNATURE = Buffer.from('EICAR-STANDARD-ANTIVIRUS-TEST-FILE', 'latin1');

/** Text of exactly `length` bytes in lines of at most 78 bytes, CRLF included. */
function textOf(length: number): string {
  const line = `${'x'.repeat(76)}\r\n`;
  const rest = length % line.length;
  return line.repeat(Math.floor(length / line.length)) + (rest === 77 ? `${'x'.repeat(75)}\r\n` : 'x'.repeat(rest));
}

/** A message of exactly `size` bytes whose attachment carries the body signature; the text part fills up. */
function infectedOfSize(size: number, seed: number): Buffer {
  const content = Buffer.concat([SIGNATURE, randomBytesFromSeed(Math.floor(size * 0.6), seed)]);
  const build = (text: string) => withAttachments({ seed, subject: `exactly ${size}`, text, attachments: [{ filename: 'payload.com', contentType: 'application/octet-stream', content }] });
  const message = build(textOf(size - build('').length));
  assert.equal(message.length, size);
  return message;
}

const messages = [
  withAttachments({ seed: 51, subject: 'tiny', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] }),
  infectedOfSize(CHUNK - 1, 1),
  infectedOfSize(CHUNK, 2),
  infectedOfSize(CHUNK + 1, 3),
  infectedOfSize(2 * CHUNK, 4),
  withAttachments({ seed: 52, subject: 'locked', attachments: [{ filename: 'secret.zip', contentType: 'application/zip', content: writeZip([{ name: 'a.txt', data: Buffer.from('hello'), encrypted: true }]) }] }),
];

interface Listed {
  uid: number;
  size: number;
}

/** Thunderbird's first step: sizes and a few header fields of every message. */
async function listHeaders(imap: RawImap): Promise<Listed[]> {
  const response = await imap.run('UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject Date)])');
  return [...response.matchAll(/\* \d+ FETCH \((?=[^\r]*UID (\d+))(?=[^\r]*RFC822\.SIZE (\d+))/g)].map((match) => ({ uid: Number(match[1]), size: Number(match[2]) }));
}

/** Thunderbird's second step: 64 KiB chunks until the size learned in the first step. */
async function chunked(imap: RawImap, { uid, size }: Listed): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let origin = 0; origin < size; origin += CHUNK) {
    const response = await imap.run(`UID FETCH ${uid} (UID RFC822.SIZE BODY.PEEK[]<${origin}.${CHUNK}>)`);
    chunks.push(literalAfter(response, `BODY[]<${origin}>`));
  }
  return Buffer.concat(chunks);
}

describe('sizes the client already knows stay true (real Dovecot, scan pipeline)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: messages } });
    proxy = await startTestProxy(
      [
        { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath },
        { name: 'pop3s', upstream: `localhost:${dovecot.ports.pop3s}`, protocol: 'pop3', upstreamCa: dovecot.caPath },
      ],
      { scanner: 'pipeline' },
    );
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('Thunderbird: header listing first, then 64 KiB chunks up to the listed size, reassemble every delivered byte', async () => {
    const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem);
    try {
      await imap.run('SELECT INBOX');
      const listed = await listHeaders(imap);
      assert.deepEqual(listed, messages.map((message, index) => ({ uid: index + 1, size: message.length })), 'the listing reports the sizes on the server');
      for (const entry of listed) {
        const reassembled = await chunked(imap, entry);
        const label = `UID ${entry.uid} (${entry.size} bytes)`;
        // The whole message as delivered, fetched in one piece after the chunks (served from the scanned copy).
        const whole = literalAfter(await imap.run(`UID FETCH ${entry.uid} (BODY.PEEK[])`), 'BODY[]');
        assert.equal(whole.length, entry.size, `${label}: delivered at the size the client learned first`);
        assert.ok(reassembled.equals(whole), `${label}: the chunks are the whole delivered message`);
        assert.ok(!reassembled.includes(SIGNATURE) && !reassembled.includes('EICAR-STANDARD'), `${label}: nothing infected reaches the client`);
        assert.equal(walkMessage(reassembled).malformed, undefined, label);
      }
      const locked = literalAfter(await imap.run(`UID FETCH ${messages.length} (BODY.PEEK[])`), 'BODY[]');
      assert.ok(locked.equals(messages.at(-1)!), 'a mark-only verdict (encrypted) is delivered byte for byte');
    } finally {
      imap.close();
    }
    const events = readEvents(eventsPath(proxy.dataDir));
    const tiny = events.find((event) => event.verdict === 'infected' && event.subject === 'tiny');
    assert.ok(tiny, 'an event for the tiny EICAR message');
    assert.equal(tiny.sizePreserved, true);
    assert.deepEqual(tiny.decorationDropped?.dropped, ['subject tag "[inboxguard: attachment removed]"', 'header X-InboxGuard']);
    const locked = events.find((event) => event.verdict === 'encrypted');
    assert.deepEqual(locked?.decorationDropped?.dropped, ['header X-InboxGuard-Warning', 'header X-InboxGuard'], 'the marking is in the event');
  });

  for (const protocol of ['POP3', 'IMAP'] as const) {
    it(`fetchmail over ${protocol}: every message arrives at the announced size`, async () => {
      const run = await fetchmailOnce({ protocol, port: proxy.port(protocol === 'POP3' ? 'pop3s' : 'imaps'), caPath: proxy.caPath, user: 'alice', password: 'secret' });
      assert.equal(run.code, 0, run.output);
      assert.doesNotMatch(run.output, /actual != \d+ expected/, run.output);
      assert.equal(run.bsmtp.match(/^DATA\r?$/gm)?.length, messages.length, run.output);
      assert.ok(!run.bsmtp.includes('EICAR-STANDARD'), 'nothing infected reaches fetchmail');
    });
  }
});
