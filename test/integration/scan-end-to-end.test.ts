import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { walkMessage } from '../../src/mime/index.js';
import { readEvents, eventsPath } from '../../src/store/events.js';
import { Quarantine, quarantineDir } from '../../src/store/quarantine.js';
import { imapflowFetchAll, pythonPop, sha256 } from '../helpers/clients.js';
import { literalAfter, RawImap } from '../helpers/imap-raw.js';
import { mixedMailbox, randomBytesFromSeed, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { EICAR } from '../unit/scan/archive/archive-builders.js';
import { writeZip } from '../unit/scan/archive/zip-writer.js';

const skip = requireAll(requireDovecot(), requireCommand('python3', 'python3'));

const infectedZip = withAttachments({
  seed: 50,
  subject: 'invoice',
  attachments: [
    { filename: 'invoice.zip', contentType: 'application/zip', content: writeZip([{ name: 'eicar.com', data: EICAR }, { name: 'readme.txt', data: randomBytesFromSeed(4000, 3) }]) },
    { filename: 'photo.bin', contentType: 'application/octet-stream', content: randomBytesFromSeed(2000, 9) },
  ],
});
const bareEicar = withAttachments({ seed: 51, subject: 'tiny', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
const clean = mixedMailbox(12);

/** Checks a delivered copy of infectedZip: the zip became a notice, everything else is untouched. */
function assertStripped(delivered: Buffer, label: string): void {
  const before = walkMessage(infectedZip).parts;
  const after = walkMessage(delivered).parts;
  assert.equal(after.length, before.length, label);
  assert.equal(after[1].contentType, 'text/plain', label);
  assert.equal(after[1].fileName, 'invoice.zip.removed.txt', label);
  assert.match(after[1].decode().toString('utf8'), /^inboxguard removed "invoice\.zip": Eicar-Test-Signature \(builtin\)\.\r?\nOriginal kept in quarantine as q-[0-9a-f]{20}\./);
  for (const index of [0, 2]) assert.deepEqual(after[index].decode(), before[index].decode(), `${label}: part ${index + 1} unchanged`);
  assert.equal(delivered.length, infectedZip.length, `${label}: the notice fit, so the size is kept`);
  assert.match(delivered.toString('latin1'), /^X-InboxGuard: infected; engine=builtin; version=[\d.]+; action=strip\r\n/);
  assert.match(delivered.toString('latin1'), /\r\nSubject: \[inboxguard: attachment removed\] invoice\r\n/);
}

describe('scanning end to end through the proxy (real Dovecot, builtin engine)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  const messages = [...clean, infectedZip, bareEicar];
  const zipUid = clean.length + 1;
  const bareUid = clean.length + 2;

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

  it('IMAP whole messages: clean ones byte-identical, the infected zip replaced by a notice at the same size, the original quarantined', async () => {
    const fetched = await imapflowFetchAll({ host: '127.0.0.1', port: proxy.port('imaps'), secure: true, caPem: proxy.caPem, user: 'alice', password: 'secret' });
    assert.deepEqual(fetched.slice(0, clean.length).map((message) => message.sha256), clean.map(sha256));
    assertStripped(fetched[zipUid - 1].source, 'imapflow');
    const tiny = fetched[bareUid - 1].source.toString('latin1');
    assert.match(tiny, /name="eicar\.com\.removed\.txt"/);
    assert.ok(!tiny.includes('EICAR-STANDARD'), 'no EICAR bytes reach the client');

    const quarantine = new Quarantine(quarantineDir(proxy.dataDir));
    const kept = quarantine.list();
    const forZip = kept.find((record) => record.sha256 === sha256(infectedZip));
    assert.ok(forZip, 'the original is in quarantine');
    assert.equal(forZip.uid, zipUid);
    assert.equal(forZip.subject, 'invoice');
    assert.deepEqual(quarantine.original(forZip.id), infectedZip);
    const events = readEvents(eventsPath(proxy.dataDir));
    const zipEvent = events.find((event) => event.quarantineId === forZip.id);
    assert.ok(zipEvent);
    assert.equal(zipEvent.verdict, 'infected');
    assert.deepEqual(zipEvent.actions, ['strip']);
    assert.equal(zipEvent.sizePreserved, true);
    assert.ok(events.filter((event) => event.verdict === 'clean').length >= clean.length, 'clean messages are logged too');
  });

  it('IMAP Thunderbird-style chunks reassemble to a stripped message, and BODY[2] keeps its encoding and size', async () => {
    const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem);
    await imap.run('EXAMINE INBOX');
    const chunks: Buffer[] = [];
    for (let origin = 0; ; origin += 4096) {
      const chunk = literalAfter(await imap.run(`UID FETCH ${zipUid} (UID RFC822.SIZE BODY.PEEK[]<${origin}.4096>)`), `BODY[]<${origin}>`);
      chunks.push(chunk);
      if (chunk.length < 4096) break;
    }
    assertStripped(Buffer.concat(chunks), 'chunks');

    const direct = await RawImap.open(dovecot.ports.imaps, dovecot.caPem);
    await direct.run('EXAMINE INBOX');
    const originalPart = literalAfter(await direct.run(`UID FETCH ${zipUid} (BODY.PEEK[2])`), 'BODY[2]');
    const part = literalAfter(await imap.run(`UID FETCH ${zipUid} (BODY.PEEK[2])`), 'BODY[2]');
    assert.equal(part.length, originalPart.length, 'same size as the client was told in BODYSTRUCTURE');
    assert.match(Buffer.from(part.toString('latin1'), 'base64').toString('utf8'), /^inboxguard removed "invoice\.zip"|^inboxguard removed "part 1"/);
    assert.deepEqual(part.toString('latin1').split('\r\n').map((line) => line.length), originalPart.toString('latin1').split('\r\n').map((line) => line.length), 'line layout kept');
    imap.close();
    direct.close();
  });

  it('POP3: clean messages byte-identical, the infected one stripped', async () => {
    const fetched = await pythonPop({ host: '127.0.0.1', port: proxy.port('pop3s'), mode: 'implicit', caPath: proxy.caPath, user: 'alice', password: 'secret' });
    assert.deepEqual(fetched.slice(0, clean.length).map((message) => message.sha256), clean.map(sha256));
    assert.equal(fetched[zipUid - 1].size, infectedZip.length);
    assert.notEqual(fetched[zipUid - 1].sha256, sha256(infectedZip));
    const events = readEvents(eventsPath(proxy.dataDir), { verdict: 'infected' });
    assert.ok(events.some((event) => event.section === 'RETR' && event.listener === 'pop3s' && event.user === 'alice'));
  });
});
