// Every way an IMAP client can fetch a message, a part of it or a slice of either, against real
// Dovecot through the proxy with the real scan pipeline (builtin engine): no EICAR reaches the client
// on any path and under any transfer encoding, clean messages arrive exactly as a direct client gets
// them, and a section fetched on its own is named and kept as the message it belongs to.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { readEvents, eventsPath, type ScanEvent } from '../../src/store/events.js';
import { Quarantine, quarantineDir } from '../../src/store/quarantine.js';
import { runCli } from '../helpers/cli.js';
import { RawImap, withoutTimings } from '../helpers/imap-raw.js';
import { randomBytesFromSeed, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { EICAR, base64Lines, uuencodeLines } from '../unit/mime/messages.js';
import { writeZip } from '../unit/scan/archive/zip-writer.js';

const skip = requireDovecot();

const HARMLESS = 'just some harmless attachment content, nothing to see here, 68 bytes';

type Encoding = '7bit' | '8bit' | 'binary' | 'base64' | 'quoted-printable' | 'uuencode';
const ENCODINGS: Encoding[] = ['7bit', '8bit', 'binary', 'base64', 'quoted-printable', 'uuencode'];

/** The attachment as it stands in the message: its MIME header and its encoded body. */
function attachment(content: string, encoding: Encoding): { header: string; body: string } {
  const file = 'Content-Type: application/octet-stream; name="payload.com"\r\nContent-Disposition: attachment; filename="payload.com"';
  switch (encoding) {
    case 'base64':
      return { header: `${file}\r\nContent-Transfer-Encoding: base64`, body: base64Lines(content) };
    case 'quoted-printable':
      // Soft line breaks in the middle of the signature: only a real QP decoder joins it again.
      return { header: `${file}\r\nContent-Transfer-Encoding: quoted-printable`, body: `${content.slice(0, 20)}=\r\n${content.slice(20, 40)}=\r\n${content.slice(40)}` };
    case 'uuencode':
      return {
        header: 'Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit',
        body: `The file you asked for:\r\n\r\nbegin 644 payload.com\r\n${uuencodeLines(content)}\r\nend\r\n`,
      };
    default:
      return { header: `${file}\r\nContent-Transfer-Encoding: ${encoding}`, body: content };
  }
}

function filler(lines: number, seed: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`line ${seed}.${i}: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod`);
  return out.join('\r\n');
}

/**
 * mixed(1 text ~3.5 KB, 2 message/rfc822(mixed(2.1 attachment, 2.2 text)), 3 attachment): the
 * payload sits at 2.1 and at 3 in the same encoding.
 */
function buildMessage(name: string, content: string, encoding: Encoding): Buffer {
  const { header, body } = attachment(content, encoding);
  const inner = [
    'From: Inner <inner@example.org>',
    'Subject: forwarded',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="inner-b"',
    '',
    '--inner-b',
    header,
    '',
    body,
    '--inner-b',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'inner text',
    '--inner-b--',
    '',
  ].join('\r\n');
  return Buffer.from(
    [
      'From: Sender <sender@example.org>',
      'To: Alice <alice@example.com>',
      `Subject: ${name}`,
      'Date: Mon, 01 Jan 2024 12:00:00 +0000',
      `Message-ID: <${name}@inboxguard.test>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer-b"',
      '',
      '--outer-b',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      filler(30, name.length),
      '--outer-b',
      'Content-Type: message/rfc822',
      '',
      inner,
      '--outer-b',
      header,
      '',
      body,
      '--outer-b--',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

/** Every form the payload takes in the messages, decoded or not: none may reach the client. */
function payloadForms(content: string): string[] {
  const forms = [content, content.slice(0, 20) + '=\r\n' + content.slice(20, 40), base64Lines(content).split('\r\n')[0], uuencodeLines(content).split('\r\n')[0]];
  return forms.map((form) => form.slice(0, 40));
}

const infected = ENCODINGS.map((encoding) => ({ encoding, bytes: buildMessage(`infected-${encoding}`, EICAR, encoding) }));
const clean = ENCODINGS.map((encoding) => ({ encoding, bytes: buildMessage(`clean-${encoding}`, HARMLESS, encoding) }));
const messages = [...infected, ...clean];
const FETCHMAIL_UID = messages.length + 1;
// Large enough for the notice to take the zip's place at the same size.
const fetchmailMessage = withAttachments({
  seed: 77,
  subject: 'fetchmail',
  attachments: [{ filename: 'invoice.zip', contentType: 'application/zip', content: writeZip([{ name: 'eicar.com', data: Buffer.from(EICAR) }, { name: 'readme.txt', data: randomBytesFromSeed(4000, 3) }]) }],
});

interface FetchPath {
  /** The item as the client writes it (without any partial range). */
  item: string;
  /** How the server names it in the answer. */
  answer: string;
  partial: boolean;
}

const PATHS: FetchPath[] = [
  { item: 'BODY.PEEK[]', answer: 'BODY[]', partial: true },
  { item: 'RFC822', answer: 'RFC822', partial: false },
  { item: 'BODY.PEEK[TEXT]', answer: 'BODY[TEXT]', partial: true },
  { item: 'RFC822.TEXT', answer: 'RFC822.TEXT', partial: false },
  { item: 'BODY.PEEK[3]', answer: 'BODY[3]', partial: true },
  { item: 'BINARY.PEEK[3]', answer: 'BINARY[3]', partial: true },
  { item: 'BODY.PEEK[2]', answer: 'BODY[2]', partial: true },
  { item: 'BODY.PEEK[2.TEXT]', answer: 'BODY[2.TEXT]', partial: true },
  { item: 'BODY.PEEK[2.1]', answer: 'BODY[2.1]', partial: true },
  { item: 'BINARY.PEEK[2.1]', answer: 'BINARY[2.1]', partial: true },
];

/** The content of every literal in a response, in order. */
function literals(response: string): Buffer[] {
  const out: Buffer[] = [];
  const re = /~?\{(\d+)\}\r\n/g;
  for (let m = re.exec(response); m; m = re.exec(response)) {
    const start = m.index + m[0].length;
    out.push(Buffer.from(response.slice(start, start + Number(m[1])), 'latin1'));
    re.lastIndex = start + Number(m[1]);
  }
  return out;
}

/** The response with literal contents and sizes taken out: which items came, in which order. */
function skeleton(response: string): string {
  let out = '';
  let pos = 0;
  const re = /(~?)\{(\d+)\}\r\n/g;
  for (let m = re.exec(response); m; m = re.exec(response)) {
    const start = m.index + m[0].length;
    out += `${response.slice(pos, m.index)}${m[1]}{…}\r\n`;
    pos = start + Number(m[2]);
    re.lastIndex = pos;
  }
  return comparable(out + response.slice(pos));
}

/** Timings and tags differ between two sessions (the tag counters drift with extra commands). */
function comparable(response: string): string {
  return withoutTimings(response).replace(/(^|\r\n)t\d+ (OK|NO|BAD) /g, '$1tag $2 ');
}

/** The commands a client sends for one path: whole, or in chunks of `chunk` bytes up to `size`. */
function commands(form: 'FETCH' | 'UID FETCH', n: number, path: FetchPath, chunk: number | undefined, size: number): string[] {
  if (chunk === undefined) return [`${form} ${n} (${path.item})`];
  const out: string[] = [];
  for (let origin = 0; origin < size; origin += chunk) out.push(`${form} ${n} (${path.item}<${origin}.${chunk}>)`);
  return out;
}

async function send(imap: RawImap, form: 'FETCH' | 'UID FETCH', sent: string[]): Promise<string> {
  if (form === 'FETCH') return imap.pipeline(sent);
  let out = '';
  for (const command of sent) out += await imap.run(command);
  return out;
}

describe('every fetch path, every transfer encoding (real Dovecot, builtin engine)', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  let viaProxy: RawImap;
  let direct: RawImap;

  before(async () => {
    dovecot = await startDovecot({
      users: [
        { name: 'alice', password: 'secret' },
        { name: 'bob', password: 'secret' },
      ],
      messages: { alice: [...messages.map((m) => m.bytes), fetchmailMessage], bob: [fetchmailMessage] },
    });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], { scanner: 'pipeline' });
    viaProxy = await RawImap.open(proxy.port('imaps'), proxy.caPem);
    direct = await RawImap.open(dovecot.ports.imaps, dovecot.caPem);
  });

  after(async () => {
    viaProxy?.close();
    direct?.close();
    await proxy?.close();
    await dovecot?.stop();
  });

  it('no EICAR on any path; clean messages byte-identical to a direct session; the client gets exactly the items it asked for', async () => {
    // Read-only, so RFC822 and RFC822.TEXT do not set \Seen and both sessions see the same flags.
    await viaProxy.run('EXAMINE INBOX');
    await direct.run('EXAMINE INBOX');
    const sizes = new Map<string, number>();
    let fetches = 0;
    for (const [index, message] of messages.entries()) {
      const n = index + 1;
      const isInfected = index < infected.length;
      for (const path of PATHS) {
        for (const chunk of path.partial ? [undefined, 1024, 65536] : [undefined]) {
          for (const form of ['FETCH', 'UID FETCH'] as const) {
            const label = `${isInfected ? 'infected' : 'clean'} ${message.encoding} ${form} ${path.item}${chunk ? ` in ${chunk}-byte chunks` : ''}`;
            const key = `${n} ${path.answer}`;
            if (!sizes.has(key)) sizes.set(key, literals(await direct.run(`UID FETCH ${n} (${path.item})`))[0].length);
            const sent = commands(form, n, path, chunk, sizes.get(key) ?? 0);
            // Sequence-number chunks go pipelined (each answer must find its own command), UID chunks
            // one after the other as Thunderbird sends them (later ones are answered from the scanned copy).
            const proxied = await send(viaProxy, form, sent);
            const plain = await send(direct, form, sent);
            fetches += sent.length;
            assert.equal(skeleton(proxied), skeleton(plain), `${label}: the same items in the same order`);
            if (isInfected) {
              const original = Buffer.concat(literals(plain)).toString('latin1');
              assert.ok(payloadForms(EICAR).some((form) => original.includes(form)), `${label}: a direct client gets the payload`);
              const delivered = Buffer.concat(literals(proxied)).toString('latin1');
              for (const form of payloadForms(EICAR)) assert.ok(!delivered.includes(form), `${label}: no EICAR (${JSON.stringify(form)})`);
            } else {
              assert.equal(comparable(proxied), comparable(plain), `${label}: byte-identical`);
            }
          }
        }
      }
    }
    assert.ok(fetches > 500, `a real matrix (${fetches} fetches)`);
    const events = readEvents(eventsPath(proxy.dataDir));
    assert.ok(events.length >= messages.length * PATHS.length);
    for (const event of events) {
      const label = `${event.section} of uid ${event.uid}`;
      assert.equal(event.mailbox, 'INBOX', label);
      assert.match(String(event.uidValidity), /^\d+$/, label);
      assert.ok(Number.isInteger(event.uid), label);
      assert.match(String(event.subject), /^(infected|clean)-/, label);
      assert.match(String(event.messageId), /^<(infected|clean)-.*@inboxguard\.test>$/, label);
    }
  });

  it('fetchmail over IMAP (RFC822.HEADER, then BODY.PEEK[TEXT] by sequence number): the event and the quarantine name the message and keep it whole', async () => {
    await viaProxy.run('SELECT INBOX');
    const n = FETCHMAIL_UID;
    await viaProxy.run('FETCH 1:10 RFC822.SIZE');
    const header = await viaProxy.run(`FETCH ${n} RFC822.HEADER`);
    const text = await viaProxy.run(`FETCH ${n} BODY.PEEK[TEXT]`);
    const directText = await direct.run(`FETCH ${n} BODY.PEEK[TEXT]`);
    assert.equal(skeleton(text), skeleton(directText), 'the client sees only BODY[TEXT]');
    assert.ok(!text.includes('UID '), 'no UID the client did not ask for');
    const deliveredText = literals(text)[0];
    assert.equal(deliveredText.length, literals(directText)[0].length, 'the text keeps its size');
    assert.equal(Buffer.concat([literals(header)[0], deliveredText]).length, fetchmailMessage.length, 'header + text adds up to RFC822.SIZE');
    assert.match(deliveredText.toString('latin1'), /name="invoice\.zip\.removed\.txt"/, 'the attachment was removed');
    assert.ok(!deliveredText.toString('latin1').includes('X-InboxGuard'), 'nothing meant for a header lands in the text');

    const event = findEvent(proxy, (e) => e.section === 'BODY[TEXT]' && e.uid === n);
    assertNamed(event, n, 'fetchmail', '<test-77@inboxguard.test>');
    const quarantine = new Quarantine(quarantineDir(proxy.dataDir));
    assert.ok(event.quarantineId);
    const record = quarantine.get(event.quarantineId);
    assert.equal(record.subject, 'fetchmail');
    assert.equal(record.uid, n);
    assert.deepEqual(quarantine.original(record.id), fetchmailMessage, 'the quarantine holds the whole original');
    const out = join(proxy.dataDir, 'exported.eml');
    assert.equal((await runCli(['quarantine', 'export', record.id, '--out', out], proxy.dataDir)).code, 0);
    assert.deepEqual(readFileSync(out), fetchmailMessage, 'quarantine export gives the whole original');
  });

  it('real fetchmail over IMAP: the message arrives stripped, its size as announced; the event names it', { skip: requireCommand('fetchmail', 'fetchmail') }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inboxguard-fetchmail-'));
    try {
      const rc = join(dir, 'fetchmailrc');
      const mda = `/bin/sh -c 'cat > ${dir}/delivered-$$'`;
      writeFileSync(
        rc,
        `set no bouncemail\nset invisible\npoll 127.0.0.1 service ${proxy.port('imaps')} protocol IMAP auth password user "bob" password "secret" ` +
          `ssl sslcertfile "${proxy.caPath}" sslcertck no rewrite keep fetchall mda "${mda}"\n`,
      );
      chmodSync(rc, 0o600);
      // Asynchronously: the proxy runs in this process.
      const output = await new Promise<string>((resolve, reject) =>
        execFile('fetchmail', ['-f', rc, '-v', '--nosyslog', '--nodetach', '--pidfile', join(dir, 'pid')], { env: { ...process.env, HOME: dir, FETCHMAILHOME: dir }, timeout: 60_000 }, (error, stdout, stderr) =>
          error ? reject(new Error(`fetchmail failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(`${stdout}${stderr}`),
        ),
      );
      assert.match(output, /IMAP> A\d+ FETCH 1 RFC822\.HEADER/);
      assert.match(output, /IMAP> A\d+ FETCH 1 BODY\.PEEK\[TEXT\]/);
      assert.doesNotMatch(output, /actual != expected/, 'header + text is the size RFC822.SIZE announced');
      const files = readdirSync(dir).filter((name) => name.startsWith('delivered-'));
      assert.equal(files.length, 1);
      const delivered = readFileSync(join(dir, files[0]), 'latin1');
      assert.match(delivered, /^From: Sender <sender@example\.org>\r?\n/);
      assert.match(delivered, /name="invoice\.zip\.removed\.txt"/);
      assert.ok(!delivered.includes('UEsDB'), 'the zip (base64 of "PK\\x03\\x04") is gone');
      const event = findEvent(proxy, (e) => e.user === 'bob' && e.section === 'BODY[TEXT]');
      assertNamed(event, 1, 'fetchmail', '<test-77@inboxguard.test>');
      assert.deepEqual(new Quarantine(quarantineDir(proxy.dataDir)).original(event.quarantineId ?? ''), fetchmailMessage);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('RFC822.TEXT and BODY[n] by sequence number: named events, and the quarantine keeps the whole original of both', async () => {
    await viaProxy.run('SELECT INBOX');
    const n = messages.findIndex((m) => m.encoding === 'quoted-printable') + 1;
    const original = messages[n - 1].bytes;
    const text = await viaProxy.run(`FETCH ${n} RFC822.TEXT`);
    assert.ok(!text.includes('UID ') && !text.includes('BODY[HEADER]'));
    const textEvent = findEvent(proxy, (e) => e.section === 'RFC822.TEXT' && e.uid === n);
    assertNamed(textEvent, n, 'infected-quoted-printable', '<infected-quoted-printable@inboxguard.test>');
    const quarantine = new Quarantine(quarantineDir(proxy.dataDir));
    assert.deepEqual(quarantine.original(textEvent.quarantineId ?? ''), original);

    const part = await viaProxy.run(`FETCH ${n} BODY[3]`);
    assert.match(part, /^\* \d+ FETCH \((FLAGS \([^)]*\) )?BODY\[3\] \{\d+\}\r\n/);
    const partEvent = findEvent(proxy, (e) => e.section === 'BODY[3]' && e.uid === n);
    assertNamed(partEvent, n, 'infected-quoted-printable', '<infected-quoted-printable@inboxguard.test>');
    // The proxy reads the whole message in the same session, once the client is quiet, hidden from it.
    const id = partEvent.quarantineId ?? '';
    const deadline = Date.now() + 10_000;
    while (quarantine.get(id).partOnly !== false && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(quarantine.get(id).partOnly, false, 'the entry was completed with the whole message');
    assert.deepEqual(quarantine.original(id), original, 'the quarantine holds the whole original');
    const out = join(mkdtempSync(join(tmpdir(), 'ig-export-')), 'whole.eml');
    quarantine.exportTo(id, out);
    assert.deepEqual(readFileSync(out), original, 'quarantine export gives the whole original');
    const later = await viaProxy.run('NOOP');
    assert.doesNotMatch(later, /BODY\[\]/, 'the proxy\'s own FETCH never reached the client');
  });
});

function findEvent(proxy: TestProxy, match: (event: ScanEvent) => boolean): ScanEvent {
  const event = readEvents(eventsPath(proxy.dataDir)).find(match);
  assert.ok(event, 'an event for the fetch');
  return event;
}

function assertNamed(event: ScanEvent, uid: number, subject: string, messageId: string): void {
  assert.equal(event.verdict, 'infected');
  assert.equal(event.mailbox, 'INBOX');
  assert.match(String(event.uidValidity), /^\d+$/);
  assert.equal(event.uid, uid);
  assert.equal(event.subject, subject);
  assert.equal(event.messageId, messageId);
}
