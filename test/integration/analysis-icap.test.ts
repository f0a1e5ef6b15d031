// Stage 2 through an ICAP backend, through the proxy: the real c-icap with its virus_scan service and a
// real clamd behind it (scripts/test-servers/c-icap.ts) that knows a signature stage 1 (builtin) does
// not — the deeper engine finds what the first did not. Then the faults: nothing listening, and a
// server that never answers (the one fault-injecting fake, named as such) → scan.onError and an event.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { C_ICAP_PACKAGES, cIcapModulesDir, startCIcap, type CIcapServer } from '../../scripts/test-servers/c-icap.js';
import { CLAMD_PACKAGES } from '../../scripts/test-servers/clamd.js';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { freePorts } from '../../scripts/test-servers/free-ports.js';
import { eventsPath, readEvents } from '../../src/store/events.js';
import { VerdictStore } from '../../src/store/verdicts.js';
import { sha256 } from '../helpers/clients.js';
import { startFaultInjectingSilentIcapServer, type FaultInjectingSilentIcapServer } from '../helpers/fault-injecting-silent-icap-server.js';
import { literalAfter, RawImap } from '../helpers/imap-raw.js';
import { withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot, requireFile } from '../helpers/require-servers.js';
import { zipFile } from '../unit/scan/engines/samples.js';

const skip = requireAll(
  requireDovecot(),
  requireCommand('c-icap', C_ICAP_PACKAGES),
  requireFile(join(cIcapModulesDir() ?? '/usr/lib/c_icap', 'virus_scan.so'), 'libc-icap-mod-virus-scan'),
  requireCommand('clamd', CLAMD_PACKAGES),
);

const MARKER = 'INBOXGUARD-DEEP-ANALYSIS-MARKER';
/** Only the clamd behind c-icap has this signature (ndb: name, any target, any offset, hex). */
const DEEP_SIGNATURE = `Deep.Analysis.Marker:0:*:${Buffer.from(MARKER).toString('hex')}\n`;

function zipped(seed: string, text: string): Buffer {
  return zipFile([{ name: `${seed}.txt`, data: text }], 'store');
}

const CLEAN = zipped('clean', 'nothing to see\n');
const DEEP = zipped('deep', `payload ${MARKER} payload\n`);
const WHILE_DOWN = zipped('down', 'sent while the service is down\n');
const WHILE_SILENT = zipped('silent', 'sent while the service hangs\n');
const INBOX = [
  [CLEAN, 'clean through icap'],
  [DEEP, 'deep detection'],
  [WHILE_DOWN, 'icap down'],
  [WHILE_SILENT, 'icap silent'],
].map(([zip, subject], index) =>
  withAttachments({ seed: 30 + index, subject: subject as string, attachments: [{ filename: `a${index}.zip`, contentType: 'application/zip', content: zip as Buffer }] }),
);

describe('stage 2 through ICAP (real c-icap + clamd) via the proxy', { skip, timeout: 180_000 }, () => {
  let icap: CIcapServer;
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  let silent: FaultInjectingSilentIcapServer;

  const events = () => readEvents(eventsPath(proxy.dataDir));
  const eventFor = (subject: string) => events().find((event) => event.subject === subject);
  async function fetchUid(uid: number): Promise<Buffer> {
    const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem);
    try {
      await imap.run('EXAMINE INBOX');
      return literalAfter(await imap.run(`UID FETCH ${uid} (BODY.PEEK[])`), 'BODY[]');
    } finally {
      imap.close();
    }
  }
  function configure(change: (file: Record<string, any>) => void): void {
    const file = parse(readFileSync(proxy.configPath, 'utf8')) as Record<string, any>;
    change(file);
    writeFileSync(proxy.configPath, stringify(file));
    assert.ok(proxy.reload());
  }
  const carries = (body: Buffer, zip: Buffer) => body.includes(zip.toString('base64').slice(0, 40));

  before(async () => {
    icap = await startCIcap({ clamd: { signatureFiles: { 'deep.ndb': DEEP_SIGNATURE } } });
    silent = await startFaultInjectingSilentIcapServer();
    dovecot = await startDovecot({ messages: { alice: INBOX } });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], {
      scanner: 'pipeline',
      settings: { imap: { keepaliveSeconds: 1 }, analysis: { backends: [{ name: 'avscan', type: 'icap', url: icap.url }], maxWaitSeconds: 30 } },
    });
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
    await silent?.close();
    await icap?.stop();
  });

  it('a clean part (204 No Content) is delivered unchanged and its clean verdict stored', async () => {
    const body = await fetchUid(1);
    assert.equal(sha256(body), sha256(INBOX[0]));
    assert.equal(eventFor('clean through icap')?.analysis?.outcome, 'clean');
    const store = VerdictStore.open(proxy.dataDir);
    const record = store.get(sha256(CLEAN));
    store.close();
    assert.equal(record?.verdict, 'clean');
    assert.equal(record?.backend, 'avscan');
  });

  it('what only the deeper engine knows is found through c-icap and removed by the rules (engine analysis:avscan)', async () => {
    const body = await fetchUid(2);
    assert.equal(body.length, INBOX[1].length);
    assert.ok(!carries(body, DEEP));
    const event = eventFor('deep detection');
    assert.equal(event?.verdict, 'infected');
    assert.equal(event?.detections[0]?.engine, 'analysis:avscan');
    assert.match(event?.detections[0]?.name ?? '', /^Deep\.Analysis\.Marker/);
  });

  it('c-icap down: scan.onError (pass) delivers it, and the event says why', async () => {
    const [port] = await freePorts(1);
    configure((file) => (file.analysis.backends = [{ name: 'avscan', type: 'icap', url: `icap://127.0.0.1:${port}/avscan` }]));
    const body = await fetchUid(3);
    assert.equal(sha256(body), sha256(INBOX[2]));
    const event = eventFor('icap down');
    assert.equal(event?.analysis?.outcome, 'error');
    assert.match(event?.note ?? '', /stage-2 analysis failed \(analysis:avscan: .*127\.0\.0\.1:\d+.*\); delivered as stage 1 left it \(scan\.onError=pass\)/);
    const store = VerdictStore.open(proxy.dataDir);
    assert.equal(store.get(sha256(WHILE_DOWN)), undefined, 'no verdict: the next fetch asks again');
    store.close();
  });

  it('c-icap that never answers: the backend timeout, then scan.onError (block) withholds the message', async () => {
    configure((file) => {
      file.analysis.backends = [{ name: 'avscan', type: 'icap', url: `icap://127.0.0.1:${silent.port}/avscan`, timeoutSeconds: 1 }];
      file.scan = { ...file.scan, onError: 'block' };
    });
    const body = await fetchUid(4);
    assert.ok(!carries(body, WHILE_SILENT));
    assert.ok(silent.accepted >= 1, 'the request reached the hung server');
    const event = eventFor('icap silent') ?? events().find((candidate) => candidate.analysis?.parts.some((part) => part.sha256 === sha256(WHILE_SILENT)));
    assert.equal(event?.verdict, 'error');
    assert.deepEqual(event?.actions, ['block']);
    assert.match(event?.note ?? '', /did not answer within 1000 ms/);
  });
});
