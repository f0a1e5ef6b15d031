// Issue 7 end to end: excluded IPs, excluded applications (process and IMAP ID), protocol switches,
// all changed with the real CLI while the proxy runs, with one IMAP IDLE session open throughout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import type { Config } from '../../src/config/schema.js';
import { runCli } from '../helpers/cli.js';
import { connectImapflow, fetchFirstAndLogout, pythonImap, pythonPop, sha256 } from '../helpers/clients.js';
import { withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { EICAR } from '../unit/scan/archive/archive-builders.js';

const skip = requireAll(requireDovecot(), requireCommand('python3', 'python3'));

const eicarMessage = withAttachments({ seed: 71, subject: 'eicar', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
const UNTOUCHED = sha256(eicarMessage);

function isStripped(source: Buffer): boolean {
  return source.toString('latin1').includes('eicar.com.removed.txt') && sha256(source) !== UNTOUCHED;
}

interface LogLine {
  msg: string;
  listener?: string;
  inspection?: string;
  application?: { pid: number; exe?: string; name: string };
  applicationUnknown?: string;
  imapIdName?: string;
}

describe('exclusions and protocol switches, changed from the CLI while the proxy runs', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  let idler: ImapFlow;
  let idlerClosed = false;
  let idling: Promise<unknown>;

  const cli = async (...args: string[]): Promise<void> => {
    const result = await runCli([...args, '--config', proxy.configPath], proxy.dataDir);
    assert.equal(result.code, 0, `inboxguard ${args.join(' ')}: ${result.stderr}`);
  };

  /** Waits until the watcher has taken the change (the proxy reloads the file by itself). */
  const reloaded = async (ready: (config: Config) => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !ready(proxy.live.current); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(ready(proxy.live.current), 'the proxy took the new configuration');
  };

  const imapflowFetch = async (listener: string, clientName?: string): Promise<Buffer> =>
    fetchFirstAndLogout(await connectImapflow(proxy.port(listener), proxy.caPem, 'alice', 'secret', { clientName }));

  const pythonImapFetch = async (listener: string): Promise<string> => {
    const [message] = await pythonImap({ host: '127.0.0.1', port: proxy.port(listener), mode: 'implicit', caPath: proxy.caPath, user: 'alice', password: 'secret' });
    return message.sha256;
  };

  const pop3Fetch = async (listener: string, mode: 'implicit' | 'plain'): Promise<string> => {
    const [message] = await pythonPop({ host: '127.0.0.1', port: proxy.port(listener), mode, caPath: proxy.caPath, user: 'alice', password: 'secret' });
    return message.sha256;
  };

  const relayedLines = async (listener: string): Promise<LogLine[]> =>
    (await proxy.logText())
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.msg === 'connection relayed' && line.listener === listener);

  const lastInspection = async (listener: string): Promise<LogLine> => {
    const lines = await relayedLines(listener);
    assert.ok(lines.length > 0, `a connection event for ${listener}`);
    return lines[lines.length - 1];
  };

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: [eicarMessage] }, listen: '127.0.0.1, 127.0.0.2, ::1' });
    const tls = { protocol: 'imap' as const, upstreamCa: dovecot.caPath };
    proxy = await startTestProxy(
      [
        { name: 'main', upstream: `127.0.0.1:${dovecot.ports.imaps}`, ...tls },
        { name: 'alias', upstream: `127.0.0.2:${dovecot.ports.imaps}`, ...tls },
        { name: 'v6', upstream: `[::1]:${dovecot.ports.imaps}`, ...tls },
        { name: 'pop3s', upstream: `127.0.0.1:${dovecot.ports.pop3s}`, protocol: 'pop3', upstreamCa: dovecot.caPath },
        // protocol auto: POP3 is recognised from the greeting, on a port that says nothing.
        { name: 'pop3', upstream: `127.0.0.1:${dovecot.ports.pop3}`, protocol: 'auto', tls: 'none', upstreamTls: 'none' },
      ],
      { scanner: 'pipeline' },
    );
    idler = new ImapFlow({
      host: '127.0.0.1',
      port: proxy.port('main'),
      secure: true,
      servername: 'localhost',
      tls: { ca: proxy.caPem, servername: 'localhost' },
      auth: { user: 'alice', pass: 'secret' },
      logger: false,
      disableAutoIdle: true,
    });
    idler.on('error', () => undefined);
    idler.on('close', () => (idlerClosed = true));
    await idler.connect();
    await idler.mailboxOpen('INBOX');
    idling = idler.idle();
  });

  after(async () => {
    await idler?.logout().catch(() => idler.close());
    await proxy?.close();
    await dovecot?.stop();
  });

  it('everything is scanned by default, over every upstream address and protocol', async () => {
    assert.ok(isStripped(await imapflowFetch('main')));
    assert.ok(isStripped(await imapflowFetch('alias')));
    assert.ok(isStripped(await imapflowFetch('v6')));
    assert.notEqual(await pop3Fetch('pop3s', 'implicit'), UNTOUCHED);
    assert.notEqual(await pop3Fetch('pop3', 'plain'), UNTOUCHED);
    const event = await lastInspection('pop3');
    assert.equal(event.inspection, 'scanned');
    assert.equal(event.application, undefined, 'no exclusion or rule needs the client program, so it is not looked up');
  });

  it('an excluded upstream on 127.0.0.2 is relayed untouched while 127.0.0.1 is scanned', async () => {
    await cli('exclude', 'ip', 'add', '127.0.0.2');
    await reloaded((config) => config.exclusions.ips.includes('127.0.0.2'));
    assert.equal(sha256(await imapflowFetch('alias')), UNTOUCHED);
    assert.equal((await lastInspection('alias')).inspection, 'excluded: ip 127.0.0.2 matched 127.0.0.2');
    assert.ok(isStripped(await imapflowFetch('main')));
    assert.equal((await lastInspection('main')).inspection, 'scanned');
  });

  it('CIDR and range forms', async () => {
    await cli('exclude', 'ip', 'remove', '127.0.0.2');
    await cli('exclude', 'ip', 'add', '127.0.0.2/31');
    await reloaded((config) => config.exclusions.ips.join() === '127.0.0.2/31');
    assert.equal(sha256(await imapflowFetch('alias')), UNTOUCHED);
    assert.equal((await lastInspection('alias')).inspection, 'excluded: ip 127.0.0.2 matched 127.0.0.2/31');
    assert.ok(isStripped(await imapflowFetch('main')));

    await cli('exclude', 'ip', 'remove', '127.0.0.2/31');
    await cli('exclude', 'ip', 'add', '127.0.0.2-127.0.0.9');
    await reloaded((config) => config.exclusions.ips.join() === '127.0.0.2-127.0.0.9');
    assert.equal(sha256(await imapflowFetch('alias')), UNTOUCHED);
    assert.equal((await lastInspection('alias')).inspection, 'excluded: ip 127.0.0.2 matched 127.0.0.2-127.0.0.9');
    assert.ok(isStripped(await imapflowFetch('main')));
  });

  it('IPv6 ::1', async () => {
    await cli('exclude', 'ip', 'add', '::1');
    await reloaded((config) => config.exclusions.ips.includes('::1'));
    assert.equal(sha256(await imapflowFetch('v6')), UNTOUCHED);
    assert.equal((await lastInspection('v6')).inspection, 'excluded: ip ::1 matched ::1');
    assert.ok(isStripped(await imapflowFetch('main')));
  });

  it('a host name is resolved and its addresses excluded', async () => {
    await cli('exclude', 'ip', 'remove', '::1', '127.0.0.2-127.0.0.9');
    await cli('exclude', 'ip', 'add', 'localhost');
    await reloaded((config) => config.exclusions.ips.join() === 'localhost');
    // localhost resolves to 127.0.0.1 (and ::1 where configured), never to 127.0.0.2.
    assert.equal(sha256(await imapflowFetch('main')), UNTOUCHED);
    assert.equal((await lastInspection('main')).inspection, 'excluded: ip 127.0.0.1 matched localhost');
    assert.ok(isStripped(await imapflowFetch('alias')));
    await cli('exclude', 'ip', 'remove', 'localhost');
    await reloaded((config) => config.exclusions.ips.length === 0);
    assert.ok(isStripped(await imapflowFetch('main')));
  });

  it('application exclusion by executable name: python3 imaplib in a child process untouched, imapflow in this process scanned', async () => {
    assert.notEqual(await pythonImapFetch('main'), UNTOUCHED, 'python3 is scanned before the exclusion');
    await cli('exclude', 'app', 'add', 'python3');
    await reloaded((config) => config.exclusions.applications.includes('python3'));
    assert.equal(await pythonImapFetch('main'), UNTOUCHED);
    const excluded = await lastInspection('main');
    assert.equal(excluded.inspection, 'excluded: application python3');
    assert.equal(excluded.application?.name, 'python3');
    assert.match(excluded.application?.exe ?? '', /python/);
    assert.ok(isStripped(await imapflowFetch('main')));
    const scanned = await lastInspection('main');
    assert.equal(scanned.inspection, 'scanned');
    assert.equal(scanned.application?.pid, process.pid, 'imapflow runs in this test process');
    await cli('exclude', 'app', 'remove', 'python3');
    await reloaded((config) => config.exclusions.applications.length === 0);
  });

  it('application exclusion by IMAP ID name, detected after the greeting', async () => {
    assert.ok(isStripped(await imapflowFetch('main', 'InboxguardTestMail')));
    await cli('exclude', 'app', 'add', 'InboxguardTestMail');
    await reloaded((config) => config.exclusions.applications.includes('InboxguardTestMail'));
    assert.equal(sha256(await imapflowFetch('main', 'InboxguardTestMail')), UNTOUCHED);
    const log = (await proxy.logText()).split('\n').filter((line) => line.includes('"inspection switched off"'));
    assert.ok(log.some((line) => (JSON.parse(line) as LogLine).inspection === 'excluded: application InboxguardTestMail (IMAP ID)'));
    assert.ok(isStripped(await imapflowFetch('main', 'SomeOtherClient')));
  });

  it('protocol switches: POP3 off → RETR untouched, IMAP still scanned; protection off → nothing scanned', async () => {
    await cli('protocols', 'disable', 'pop3');
    await reloaded((config) => !config.protocols.pop3);
    assert.equal(await pop3Fetch('pop3', 'plain'), UNTOUCHED);
    assert.equal((await lastInspection('pop3')).inspection, 'protocol pop3 switched off');
    assert.notEqual(await pop3Fetch('pop3s', 'implicit'), UNTOUCHED, 'pop3s is still on');

    await cli('protocols', 'disable', 'pop3s');
    await reloaded((config) => !config.protocols.pop3s);
    assert.equal(await pop3Fetch('pop3s', 'implicit'), UNTOUCHED);
    assert.equal((await lastInspection('pop3s')).inspection, 'protocol pop3s switched off');
    assert.ok(isStripped(await imapflowFetch('main')), 'IMAP still scanned');

    await cli('protocols', 'disable', 'all');
    await reloaded((config) => !config.enabled);
    assert.equal(sha256(await imapflowFetch('main')), UNTOUCHED);
    assert.equal((await lastInspection('main')).inspection, 'protection disabled');

    await cli('protocols', 'enable', 'all');
    await reloaded((config) => config.enabled && config.protocols.pop3 && config.protocols.pop3s);
    assert.ok(isStripped(await imapflowFetch('main')));
    assert.notEqual(await pop3Fetch('pop3', 'plain'), UNTOUCHED);
  });

  it('TLS ports change from the CLI too', async () => {
    await cli('ports', 'imaps', 'add', '1993,2993');
    await reloaded((config) => config.tlsPorts.imaps.includes(2993));
    assert.deepEqual(proxy.live.current.tlsPorts.imaps, [585, 993, 1993, 2993]);
  });

  it('the IDLE session opened before all these changes is still open and usable', async () => {
    assert.equal(idlerClosed, false);
    const status = await idler.status('INBOX', { messages: true });
    assert.ok(status, 'STATUS answered');
    assert.equal(status.messages, 1);
    await idling;
    assert.equal(idlerClosed, false);
  });
});
