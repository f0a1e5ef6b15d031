import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLAMD_PACKAGES, startClamd, type ClamdServer } from '../../scripts/test-servers/clamd.js';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { readEvents, eventsPath } from '../../src/store/events.js';
import { runCli } from '../helpers/cli.js';
import { imapflowFetchAll, sha256 } from '../helpers/clients.js';
import { plainText, randomBytesFromSeed, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { EICAR } from '../unit/scan/archive/archive-builders.js';
import { writeZip } from '../unit/scan/archive/zip-writer.js';

const skip = requireAll(requireDovecot(), requireCommand('clamd', CLAMD_PACKAGES));
const infected = withAttachments({
  seed: 60,
  subject: 'zip for clamd',
  attachments: [{ filename: 'invoice.zip', contentType: 'application/zip', content: writeZip([{ name: 'eicar.com', data: EICAR }, { name: 'pad.bin', data: randomBytesFromSeed(3000, 2) }]) }],
});
const clean = plainText({ seed: 61 });

describe('clamd as the engine, through the proxy and from inboxguard scan', { skip }, () => {
  let clamd: ClamdServer;
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  let home: string;

  before(async () => {
    clamd = await startClamd();
    dovecot = await startDovecot({ messages: { alice: [clean, infected] } });
    proxy = await startTestProxy([{ name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath }], {
      scanner: 'pipeline',
      settings: { scan: { engines: ['clamd'], clamd: { address: clamd.socketPath } } },
    });
    home = mkdtempSync(join(tmpdir(), 'inboxguard-scan-cli-'));
    writeFileSync(join(home, 'config.yaml'), `scan:\n  clamd:\n    address: 127.0.0.1:${clamd.port}\n`);
    mkdirSync(join(home, 'mail'));
    writeFileSync(join(home, 'mail', 'infected.eml'), infected);
    writeFileSync(join(home, 'mail', 'clean.eml'), clean);
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
    await clamd?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('the proxy strips what clamd finds and names clamd in the event', async () => {
    const fetched = await imapflowFetchAll({ host: '127.0.0.1', port: proxy.port('imaps'), secure: true, caPem: proxy.caPem, user: 'alice', password: 'secret' });
    assert.equal(fetched[0].sha256, sha256(clean));
    assert.match(fetched[1].source.toString('latin1'), /name="invoice\.zip\.removed\.txt"/);
    assert.equal(fetched[1].size, infected.length);
    const event = readEvents(eventsPath(proxy.dataDir), { verdict: 'infected' })[0];
    assert.ok(event.detections.every((finding) => finding.engine === 'clamd'));
    assert.match(event.detections[0].name, /EICAR/i);
  });

  it('inboxguard scan: exit 1 and JSON detections for a threat, 0 for clean, 2 for an unreadable path; --out writes the cleaned message', async () => {
    const threat = await runCli(['scan', join(home, 'mail', 'infected.eml'), '--json', '--engines', 'builtin,clamd', '--out', join(home, 'cleaned.eml')], home);
    assert.equal(threat.code, 1, threat.stderr);
    const report = JSON.parse(threat.stdout) as { verdict: string; detections: { engine: string; name: string }[]; action: string };
    assert.equal(report.verdict, 'infected');
    assert.equal(report.action, 'strip');
    assert.deepEqual([...new Set(report.detections.map((finding) => finding.engine))].sort(), ['builtin', 'clamd']);
    const cleaned = readFileSync(join(home, 'cleaned.eml'));
    assert.ok(!cleaned.includes('EICAR-STANDARD'));
    assert.match(cleaned.toString('latin1'), /invoice\.zip\.removed\.txt/);

    const ok = await runCli(['scan', join(home, 'mail', 'clean.eml')], home);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /clean\.eml: CLEAN/);
    const directory = await runCli(['scan', join(home, 'mail'), '--json'], home);
    assert.equal(directory.code, 1);
    assert.deepEqual(directory.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { verdict: string }).verdict), ['clean', 'infected'], 'one JSON line per file, in name order');
    const missing = await runCli(['scan', join(home, 'nope.eml')], home);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^inboxguard: .*nope\.eml: no such file or directory\n$/);
  });
});
