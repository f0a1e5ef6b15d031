// Issue 15, connection setup: the client-program lookup runs only when an application exclusion (or a
// rule reading `application`) needs it; with one configured, excluded programs stay excluded with
// many connections at once; a lookup that runs out of time leaves the connection inspected and says so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { platformLookup, type ClientLookup, type LookupClient } from '../../src/proxy/client-process/index.js';
import { runCli } from '../helpers/cli.js';
import { connectImapflow, curlFetch, fetchFirstAndLogout, pythonImap, pythonImapConcurrent, sha256 } from '../helpers/clients.js';
import { withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { EICAR } from '../unit/scan/archive/archive-builders.js';

const skip = requireAll(requireDovecot(), requireCommand('python3', 'python3'), requireCommand('curl', 'curl'));

const eicarMessage = withAttachments({ seed: 72, subject: 'eicar', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
const UNTOUCHED = sha256(eicarMessage);

interface RelayedLine {
  msg: string;
  inspection?: string;
  application?: { pid: number; exe?: string; name: string };
  applicationUnknown?: string;
}

async function relayedLines(proxy: TestProxy): Promise<RelayedLine[]> {
  return (await proxy.logText())
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RelayedLine)
    .filter((line) => line.msg === 'connection relayed');
}

async function imapflowFetch(proxy: TestProxy): Promise<Buffer> {
  return fetchFirstAndLogout(await connectImapflow(proxy.port('main'), proxy.caPem), { uid: true });
}

describe('client-program lookup: only when needed, correct under concurrency, timeouts said', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  const real = platformLookup();
  let calls = 0;
  const counting: LookupClient = (ends) => {
    calls++;
    return real(ends);
  };

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: [eicarMessage] } });
    proxy = await startTestProxy([{ name: 'main', upstream: `127.0.0.1:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], {
      scanner: 'pipeline',
      lookup: { lookupClient: counting },
    });
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  const python = { host: '127.0.0.1', caPath: '', user: 'alice', password: 'secret' };

  it('with no application exclusion and no rule reading the application, the lookup is never called', async () => {
    const [message] = await pythonImap({ ...python, port: proxy.port('main'), mode: 'implicit', caPath: proxy.caPath });
    assert.notEqual(message.sha256, UNTOUCHED, 'scanned');
    assert.notEqual(sha256(await imapflowFetch(proxy)), UNTOUCHED, 'scanned');
    assert.equal(calls, 0);
    const lines = await relayedLines(proxy);
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.equal(line.inspection, 'scanned');
      assert.equal(line.application, undefined);
      assert.equal(line.applicationUnknown, undefined);
    }
  });

  it('with python3 and curl excluded, 10 python connections from one process and 10 curl processes at once are excluded, imapflow here is scanned', async () => {
    const result = await runCli(['exclude', 'app', 'add', 'python3', 'curl', '--config', proxy.configPath], proxy.dataDir);
    assert.equal(result.code, 0, result.stderr);
    for (let i = 0; i < 200 && proxy.live.current.exclusions.applications.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(proxy.live.current.exclusions.applications, ['python3', 'curl']);
    const before = (await relayedLines(proxy)).length;
    calls = 0;

    const port = proxy.port('main');
    const [pythonMessages, curlMessages, scanned] = await Promise.all([
      pythonImapConcurrent({ ...python, port, caPath: proxy.caPath }, 10),
      Promise.all(Array.from({ length: 10 }, () => curlFetch(`imaps://127.0.0.1:${port}/INBOX;UID=1`, { caPath: proxy.caPath, user: 'alice', password: 'secret' }))),
      Promise.all([imapflowFetch(proxy), imapflowFetch(proxy)]),
    ]);

    assert.deepEqual(pythonMessages.map((message) => message.sha256), Array(10).fill(UNTOUCHED));
    assert.deepEqual(curlMessages.map(sha256), Array(10).fill(UNTOUCHED));
    for (const message of scanned) assert.notEqual(sha256(message), UNTOUCHED);
    assert.equal(calls, 22, 'one lookup per connection');

    const lines = (await relayedLines(proxy)).slice(before);
    assert.equal(lines.length, 22);
    assert.deepEqual(lines.filter((line) => line.applicationUnknown !== undefined), [], 'no lookup ran out of time or failed');
    const count = (inspection: string) => lines.filter((line) => line.inspection === inspection).length;
    assert.equal(count('excluded: application python3'), 10);
    assert.equal(count('excluded: application curl'), 10);
    const inspected = lines.filter((line) => line.inspection === 'scanned');
    assert.deepEqual(inspected.map((line) => line.application?.pid), [process.pid, process.pid]);
    assert.equal(new Set(lines.filter((line) => line.application?.name === 'curl').map((line) => line.application?.pid)).size, 10, 'ten curl processes');
    assert.equal(new Set(lines.filter((line) => line.application?.name === 'python3').map((line) => line.application?.pid)).size, 1, 'one python process');
  });
});

describe('client-program lookup out of time', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  // Fault injection: a lookup that never answers, as a /proc scan stuck under load would behave.
  const neverAnswering: LookupClient = () => new Promise<ClientLookup>(() => undefined);

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: [eicarMessage] } });
    proxy = await startTestProxy([{ name: 'main', upstream: `127.0.0.1:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], {
      scanner: 'pipeline',
      settings: { exclusions: { applications: ['python3'] } },
      lookup: { lookupClient: neverAnswering, lookupTimeoutMs: 300 },
    });
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('the connection is inspected (an excluded program is not recognised) and the event says the lookup ran out of time', async () => {
    const [message] = await pythonImap({ host: '127.0.0.1', port: proxy.port('main'), mode: 'implicit', caPath: proxy.caPath, user: 'alice', password: 'secret' });
    assert.notEqual(message.sha256, UNTOUCHED, 'inspected although python3 is excluded');
    const [line] = await relayedLines(proxy);
    assert.equal(line.inspection, 'scanned');
    assert.equal(line.application, undefined);
    assert.match(line.applicationUnknown ?? '', /^lookup still running 300 ms after the connection was ready; inspected as if no exclusion matched$/);
  });
});
