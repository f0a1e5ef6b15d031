// inboxguard mailbox scan against a real Dovecot: log-only changes nothing, strip/move/delete change
// exactly the flagged messages (original in the local quarantine first), filters and folder globs
// select, the mailboxScan rules decide, and user errors are one line with exit 2.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { assertRefused, runCli } from '../helpers/cli.js';
import {
  appendMessages,
  dataDir,
  infectedMessage,
  mailboxScan,
  parseSummary,
  PASSWORD,
  removeDataDirs,
  scanEvents,
  serverView,
  setFlags,
  sha256,
  type ServerView,
} from '../helpers/mailbox-scan-fixtures.js';
import { bigMessage, mixedMailbox, plainText, withAttachments } from '../helpers/messages.js';
import { requireDovecot } from '../helpers/require-servers.js';

const skip = requireDovecot();
const USERS = ['logonly', 'stripper', 'mover', 'deleter', 'filters', 'rules', 'errors'];

function quarantinedShas(home: string): string[] {
  const dir = join(home, 'quarantine');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.eml'))
    .map((name) => sha256(readFileSync(join(dir, name))));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

function shas(view: ServerView, folder: string): string[] {
  return (view[folder] ?? []).map((message) => message.sha256);
}

describe('inboxguard mailbox scan', { skip }, () => {
  let server: DovecotServer;
  const originalPassword = process.env.INBOXGUARD_PASSWORD;

  before(async () => {
    process.env.INBOXGUARD_PASSWORD = PASSWORD;
    server = await startDovecot({ users: USERS.map((name) => ({ name, password: PASSWORD })) });
    // A few hundred messages in several folders for the log-only account.
    server.seed('logonly', [...mixedMailbox(140, 1), infectedMessage(9001)]);
    server.seed('logonly', [...mixedMailbox(80, 2), infectedMessage(9002)], 'Archive');
    server.seed('logonly', mixedMailbox(40, 3), 'Archive.2024');
    server.seed('logonly', mixedMailbox(20, 4), 'Sent');
  });

  after(async () => {
    await server?.stop();
    removeDataDirs();
    if (originalPassword === undefined) delete process.env.INBOXGUARD_PASSWORD;
    else process.env.INBOXGUARD_PASSWORD = originalPassword;
  });

  it('log-only (the default) leaves every message, flag and date on the server as it was, and logs one mailbox-scan event per message', async () => {
    await setFlags(server, 'logonly', 'INBOX', '1:5', ['\\Seen', '\\Flagged']);
    await setFlags(server, 'logonly', 'Archive', '3', ['$Label1']);
    const beforeView = await serverView(server, 'logonly');
    const home = dataDir();
    const result = await mailboxScan(server, 'logonly', home, ['--all-folders', '--json', '--concurrency', '2']);
    assert.equal(result.code, 1, result.stderr);
    const summary = parseSummary(result);
    assert.deepEqual(await serverView(server, 'logonly'), beforeView);
    const total = Object.values(beforeView).reduce((sum, messages) => sum + messages.length, 0);
    assert.equal(total, 282);
    assert.deepEqual(summary.folders.map((folder) => folder.folder).sort(), ['Archive', 'Archive.2024', 'INBOX', 'Sent']);
    assert.equal(summary.total.scanned, total);
    assert.equal(summary.total.threats, 2);
    assert.deepEqual(summary.total.actions, {});
    const events = scanEvents(home);
    assert.equal(events.length, total);
    const infected = events.filter((event) => event.verdict === 'infected').map((event) => `${event.mailbox}/${event.uid}`).sort();
    assert.deepEqual(infected, ['Archive/81', 'INBOX/141']);
  });

  it('strip appends the cleaned copy with the original flags and INTERNALDATE, removes the original, and keeps it in the local quarantine first', async () => {
    server.seed('stripper', mixedMailbox(12, 5));
    const original = infectedMessage(9101, 'quarterly invoice');
    const date = new Date('2021-03-04T05:06:07Z');
    await appendMessages(server, 'stripper', 'INBOX', [{ content: original, flags: ['\\Flagged', '\\Seen', '$Work'], date }]);
    const beforeView = await serverView(server, 'stripper');
    const home = dataDir();
    const result = await mailboxScan(server, 'stripper', home, ['--action', 'strip', '--json']);
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(parseSummary(result).total.actions, { strip: 1 });
    const afterView = await serverView(server, 'stripper');
    const inbox = afterView.INBOX;
    assert.equal(inbox.length, 13);
    assert.ok(!shas(afterView, 'INBOX').includes(sha256(original)), 'the original is gone from the folder');
    const originalEntry = beforeView.INBOX.find((message) => message.sha256 === sha256(original));
    assert.ok(originalEntry);
    const copy = inbox.find((message) => message.messageId === originalEntry.messageId);
    assert.ok(copy, 'the cleaned copy is in the folder');
    assert.ok(copy.uid > originalEntry.uid);
    assert.deepEqual(copy.flags, originalEntry.flags);
    assert.equal(copy.internalDate, date.toISOString());
    // The clean messages are untouched, UIDs included.
    assert.deepEqual(inbox.filter((message) => message !== copy), beforeView.INBOX.filter((message) => message !== originalEntry));
    assert.ok(quarantinedShas(home).includes(sha256(original)));
    // Scanned again from scratch, the cleaned copy is clean.
    const again = await mailboxScan(server, 'stripper', home, ['--restart', '--json']);
    assert.equal(again.code, 0, again.stdout);
    assert.equal(parseSummary(again).total.scanned, 13);
  });

  it('move puts the originals in the quarantine folder; delete expunges just them; both keep them locally first', async () => {
    const infected = [infectedMessage(9201), infectedMessage(9202)];
    for (const user of ['mover', 'deleter']) {
      server.seed(user, mixedMailbox(10, 6));
      await appendMessages(server, user, 'INBOX', infected.map((content) => ({ content })));
    }
    const beforeMove = await serverView(server, 'mover');
    const moveHome = dataDir();
    const moved = await mailboxScan(server, 'mover', moveHome, ['--action', 'move', '--json']);
    assert.equal(moved.code, 1, moved.stderr);
    assert.deepEqual(parseSummary(moved).total.actions, { move: 2 });
    const afterMove = await serverView(server, 'mover');
    assert.deepEqual(afterMove.INBOX, beforeMove.INBOX.slice(0, 10));
    assert.deepEqual(shas(afterMove, 'Quarantine').sort(), infected.map(sha256).sort());
    assert.deepEqual(quarantinedShas(moveHome).sort(), infected.map(sha256).sort());

    const beforeDelete = await serverView(server, 'deleter');
    const deleteHome = dataDir();
    const deleted = await mailboxScan(server, 'deleter', deleteHome, ['--action', 'delete', '--json']);
    assert.equal(deleted.code, 1, deleted.stderr);
    assert.deepEqual(parseSummary(deleted).total.actions, { delete: 2 });
    const afterDelete = await serverView(server, 'deleter');
    assert.deepEqual(afterDelete.INBOX, beforeDelete.INBOX.slice(0, 10));
    assert.deepEqual(Object.keys(afterDelete), ['INBOX']);
    assert.deepEqual(quarantinedShas(deleteHome).sort(), infected.map(sha256).sort());
  });

  it('--since, --larger-than and folder globs select; --dry-run changes nothing and records nothing', async () => {
    const old = new Date('2020-06-01T10:00:00Z');
    const recent = new Date('2025-02-01T10:00:00Z');
    await appendMessages(server, 'filters', 'INBOX', [
      ...[1, 2, 3, 4].map((seed) => ({ content: plainText({ seed }), date: old })),
      ...[5, 6, 7].map((seed) => ({ content: plainText({ seed }), date: recent })),
      ...[8, 9].map((seed) => ({ content: bigMessage(150_000, { seed }), date: recent })),
      { content: infectedMessage(9301), date: recent },
    ]);
    server.seed('filters', mixedMailbox(5, 7), 'Archive');
    server.seed('filters', mixedMailbox(3, 8), 'Archive.2024');
    server.seed('filters', mixedMailbox(2, 9), 'Sent');
    const beforeView = await serverView(server, 'filters');
    const home = dataDir();
    const matched = async (args: string[]) => {
      const result = await mailboxScan(server, 'filters', home, [...args, '--dry-run', '--json']);
      assert.ok(result.code === 0 || result.code === 1, result.stderr);
      return Object.fromEntries(parseSummary(result).folders.map((folder) => [folder.folder, folder.matched]));
    };
    assert.deepEqual(await matched(['--since', '2024-01-01']), { INBOX: 6 });
    assert.deepEqual(await matched(['--larger-than', '100k']), { INBOX: 2 });
    assert.deepEqual(await matched(['--folders', 'Archive*']), { Archive: 5, 'Archive.2024': 3 });
    assert.deepEqual(await matched(['--folders', 'Sent,INBOX']), { INBOX: 10, Sent: 2 });
    const wouldDelete = await mailboxScan(server, 'filters', home, ['--action', 'delete', '--dry-run', '--json']);
    assert.equal(wouldDelete.code, 1);
    assert.deepEqual(parseSummary(wouldDelete).total.actions, { delete: 1 });
    assert.deepEqual(await serverView(server, 'filters'), beforeView);
    assert.equal(scanEvents(home).length, 0, 'a dry run writes no events');
    const real = parseSummary(await mailboxScan(server, 'filters', home, ['--all-folders', '--json']));
    assert.equal(real.total.skipped, 0, 'a dry run records nothing as scanned');
    assert.equal(real.total.scanned, 20);
  });

  it('messages over scan.maxMessageBytes are not fetched; each gets a too-large event', async () => {
    const home = dataDir({ scan: { maxMessageBytes: 100_000 } });
    const result = await mailboxScan(server, 'filters', home, ['--json']);
    const inbox = parseSummary(result).folders[0];
    assert.deepEqual([inbox.scanned, inbox.tooLarge], [8, 2]);
    const tooLarge = scanEvents(home).filter((event) => event.verdict === 'too-large');
    assert.deepEqual(tooLarge.map((event) => event.bytes), [150_000, 150_000]);
    assert.match(tooLarge[0].note ?? '', /larger than scan\.maxMessageBytes \(100000\); not scanned/);
  });

  it('the mailboxScan rules decide, not the transport ones', async () => {
    const binary = withAttachments({ seed: 9401, subject: 'has a .bin' });
    const text = withAttachments({ seed: 9402, subject: 'has a .txt', attachments: [{ filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('plain notes\r\n') }] });
    const infected = infectedMessage(9403);
    server.seed('rules', [binary, text, infected]);
    const stripNamed = (id: string, glob: string) => ({ id, name: `strip ${glob}`, level: 'attachment', conditions: [{ field: 'file-name', op: 'glob', value: glob }], actions: ['delete-attachment', 'log'] });
    const home = dataDir({ rules: { transport: [stripNamed('r-t', '*.txt'), stripNamed('r-t2', '*.com')], mailboxScan: [stripNamed('r-m', '*.bin')] } });
    const beforeView = await serverView(server, 'rules');
    const result = await mailboxScan(server, 'rules', home, ['--action', 'strip', '--json']);
    assert.equal(result.code, 1, result.stderr);
    const summary = parseSummary(result);
    assert.deepEqual(summary.total.actions, { strip: 1 });
    assert.equal(summary.total.threats, 2, 'the .bin the rules strip and the infected message the engines found');
    const afterShas = shas(await serverView(server, 'rules'), 'INBOX');
    assert.ok(!afterShas.includes(sha256(binary)), 'the mailboxScan rule stripped the .bin message');
    assert.ok(afterShas.includes(sha256(text)), 'the transport rule for .txt does not apply');
    assert.ok(afterShas.includes(sha256(infected)), 'the transport rule for .com does not apply; no mailboxScan rule asks to strip it');
    assert.equal(afterShas.length, beforeView.INBOX.length);
    const hits = scanEvents(home).flatMap((event) => (event.rules ?? []).map((rule) => rule.id));
    assert.deepEqual(hits, ['r-m']);
  });

  it('a wrong password, an untrusted certificate and a missing folder each give one line and exit 2', async () => {
    server.seed('errors', mixedMailbox(3, 10));
    const home = dataDir();
    const passwordFile = join(home, 'password');
    writeFileSync(passwordFile, 'not-the-password\n', { mode: 0o600 });
    assertRefused(await mailboxScan(server, 'errors', home, ['--password-file', passwordFile]), /refused the login of "errors".*check the user name and the password/);
    const untrusted = await runCli(['mailbox', 'scan', '--upstream', `${server.host}:${server.ports.imaps}`, '--user', 'errors'], home);
    assertRefused(untrusted, /certificate is not trusted.*--upstream-ca/);
    assertRefused(await mailboxScan(server, 'errors', home, ['--folders', 'INBOX,Nope']), /folder "Nope" does not exist on the server/);
    assertRefused(await runCli(['mailbox', 'scan', '--listener', 'nope', '--user', 'errors'], home), /no listener named "nope"/);
    for (const file of filesUnder(home)) assert.ok(!readFileSync(file, 'utf8').includes(PASSWORD), `${file} holds the password`);
    assert.deepEqual(scanEvents(home), []);
  });

  it('--listener takes the server, its TLS mode and its CA from the configuration', async () => {
    const home = dataDir({
      listeners: [{ name: 'work', listen: '127.0.0.1:0', protocol: 'imap', upstream: `${server.host}:${server.ports.imaps}`, upstreamTls: 'implicit', upstreamCa: server.caPath }],
    });
    const result = await runCli(['mailbox', 'scan', '--listener', 'work', '--user', 'errors', '--json'], home);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parseSummary(result).total.scanned, 3);
    assert.ok(scanEvents(home).every((event) => event.listener === 'work'));
  });

  it('--upstream-tls starttls upgrades the plain port and verifies the certificate there too', async () => {
    const home = dataDir();
    const plainPort = `${server.host}:${server.ports.imap}`;
    const result = await runCli(['mailbox', 'scan', '--upstream', plainPort, '--upstream-tls', 'starttls', '--upstream-ca', server.caPath, '--user', 'errors', '--json'], home);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parseSummary(result).total.scanned, 3);
    assertRefused(await runCli(['mailbox', 'scan', '--upstream', plainPort, '--upstream-tls', 'starttls', '--user', 'errors'], home), /certificate is not trusted/);
  });
});
