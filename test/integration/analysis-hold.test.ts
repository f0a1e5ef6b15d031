// Stage-2 analysis through the proxy (#14): real Dovecot, real clients, and a `command` backend that is a
// real program (a python3 script this test writes) which sleeps as long as a file says, then answers
// malicious for parts carrying a marker and clean for the rest, logging every part it is asked about.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { sha256 } from '../helpers/clients.js';
import { pythonPop } from '../helpers/clients.js';
import { literalAfter, RawImap } from '../helpers/imap-raw.js';
import { withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { zipFile } from '../unit/scan/engines/samples.js';
import { eventsPath, readEvents, type ScanEvent } from '../../src/store/events.js';
import { VerdictStore } from '../../src/store/verdicts.js';
import type { AnalysisFollowUp, LateVerdict, ReleasedMessage } from '../../src/types/analysis-follow-up.js';

const skip = requireAll(requireDovecot(), requireCommand('python3', 'python3'));

const SANDBOX = `#!/usr/bin/env python3
import hashlib, json, sys, time
delay_file, calls, path = sys.argv[1:4]
data = open(path, 'rb').read()
with open(calls, 'a') as log:
    log.write(hashlib.sha256(data).hexdigest() + '\\n')
time.sleep(float(open(delay_file).read()))
if b'SANDBOX-MALICIOUS' in data:
    print(json.dumps({'verdict': 'malicious', 'name': 'Sandbox.Test.Marker'}))
    sys.exit(1)
print(json.dumps({'verdict': 'clean'}))
`;

/** A stored zip (its entry's bytes appear as they are) whose SHA-256 differs per `seed`. */
function zipAttachment(seed: string, malicious: boolean): Buffer {
  return zipFile([{ name: `report-${seed}.txt`, data: `quarterly report ${seed}\n${malicious ? 'SANDBOX-MALICIOUS\n' : ''}` }], 'store');
}

function message(seed: number, zip: Buffer, subject: string): Buffer {
  return withAttachments({ seed, subject, attachments: [{ filename: `files-${seed}.zip`, contentType: 'application/zip', content: zip }] });
}

class RecordingFollowUp implements AnalysisFollowUp {
  readonly releasedCalls: { message: ReleasedMessage; sha256s: readonly string[] }[] = [];
  readonly lateCalls: LateVerdict[] = [];
  released(message: ReleasedMessage, sha256s: readonly string[]): void {
    this.releasedCalls.push({ message, sha256s });
  }
  lateVerdict(verdict: LateVerdict): void {
    this.lateCalls.push(verdict);
  }
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const CLEAN_ZIP = zipAttachment('clean', false);
const BAD_ZIP = zipAttachment('bad', true);
const LATE_ZIP = zipAttachment('late', true);
const LATE_CLEAN_ZIP = zipAttachment('late-clean', false);
const HELD_ZIP = zipAttachment('held', false);
const HELD_BLOCK_ZIP = zipAttachment('held-block', false);
const RESTART_ZIP = zipAttachment('restart', true);

// UIDs follow this order.
const INBOX = [
  message(1, CLEAN_ZIP, 'clean attachment'),
  message(2, BAD_ZIP, 'bad attachment'),
  message(3, LATE_ZIP, 'late verdict, first message'),
  message(4, LATE_ZIP, 'late verdict, second message'),
  message(5, LATE_CLEAN_ZIP, 'timeout with onTimeout block'),
  message(6, HELD_ZIP, 'released by hand'),
  message(7, HELD_BLOCK_ZIP, 'blocked by hand'),
  message(8, RESTART_ZIP, 'before the restart'),
  message(9, RESTART_ZIP, 'after the restart'),
];
const POP3_MESSAGE = message(20, zipAttachment('pop3', false), 'pop3 hold');
const POP3_BLOCKED_ZIP = zipAttachment('pop3-block', false);
const POP3_BLOCKED = message(21, POP3_BLOCKED_ZIP, 'pop3 hold, block');

describe('stage-2 analysis through the proxy with a command backend', { skip, timeout: 240_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'ig-analysis-hold-'));
  const dataDir = join(root, 'data');
  const delayFile = join(root, 'delay');
  const callsFile = join(root, 'calls');
  const sandbox = join(root, 'sandbox.py');
  const followUp = new RecordingFollowUp();
  let dovecot: DovecotServer;
  let proxy: TestProxy;

  const settings = {
    imap: { keepaliveSeconds: 1 },
    // Less than analysis.maxWaitSeconds, so POP3 holds end by it; enough for stage 1 and the onTimeout=block preparation.
    pop3: { maxHoldSeconds: 3 },
    analysis: {
      backends: [{ name: 'sandbox', type: 'command', command: ['python3', sandbox, delayFile, callsFile, '{file}'], timeoutSeconds: 60, maxConcurrent: 4 }],
      maxWaitSeconds: 4,
      onTimeout: 'deliver',
    },
  };

  const start = () =>
    startTestProxy(
      [
        { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath },
        { name: 'pop3s', upstream: `localhost:${dovecot.ports.pop3s}`, protocol: 'pop3', upstreamCa: dovecot.caPath },
      ],
      { scanner: 'pipeline', settings, dataDir, followUp },
    );
  const delay = (seconds: number) => writeFileSync(delayFile, String(seconds));
  const calls = () => (existsSync(callsFile) ? readFileSync(callsFile, 'utf8').split('\n').filter(Boolean) : []);
  const events = (): ScanEvent[] => readEvents(eventsPath(dataDir));
  const eventsFor = (subject: string) => events().filter((event) => event.subject === subject);
  async function fetchUid(uid: number): Promise<{ response: string; body: Buffer; keepalives: number }> {
    const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem);
    try {
      await imap.run('EXAMINE INBOX');
      const response = await imap.run(`UID FETCH ${uid} (BODY.PEEK[])`);
      return { response, body: literalAfter(response, 'BODY[]'), keepalives: (response.match(/^\* OK \[INPROGRESS[^\r]*\r\n/gm) ?? []).length };
    } finally {
      imap.close();
    }
  }
  const carriesZip = (body: Buffer, zip: Buffer) => body.includes(zip.toString('base64').slice(0, 60));

  before(async () => {
    writeFileSync(sandbox, SANDBOX);
    chmodSync(sandbox, 0o700);
    delay(2);
    dovecot = await startDovecot({ users: [{ name: 'alice', password: 'secret' }, { name: 'bob', password: 'secret' }], messages: { alice: INBOX, bob: [POP3_MESSAGE] } });
    proxy = await start();
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('a clean verdict before the maximum wait: held with keep-alives, then delivered byte for byte; the verdict is stored', async () => {
    delay(2);
    const { body, keepalives } = await fetchUid(1);
    assert.equal(sha256(body), sha256(INBOX[0]));
    assert.ok(keepalives >= 1, `held with keep-alives (got ${keepalives})`);
    assert.deepEqual(calls(), [sha256(CLEAN_ZIP)]);
    const [event] = eventsFor('clean attachment');
    assert.equal(event.analysis?.outcome, 'clean');
    assert.deepEqual(event.analysis?.backends, ['sandbox']);
    const store = VerdictStore.open(dataDir);
    assert.equal(store.get(sha256(CLEAN_ZIP))?.verdict, 'clean');
    store.close();
    // Known clean within analysis.cleanTtl: not analysed again, not held.
    const again = await fetchUid(1);
    assert.equal(sha256(again.body), sha256(INBOX[0]));
    assert.equal(again.keepalives, 0);
    assert.equal(calls().length, 1);
  });

  it('a malicious verdict before the maximum wait: the attachment is removed as a stage-1 detection is (engine analysis:sandbox)', async () => {
    delay(1);
    const { body } = await fetchUid(2);
    assert.equal(body.length, INBOX[1].length, 'size kept');
    assert.ok(!carriesZip(body, BAD_ZIP), 'the zip is gone');
    assert.match(body.toString('latin1'), /inboxguard removed/);
    const [event] = eventsFor('bad attachment');
    assert.equal(event.verdict, 'infected');
    assert.deepEqual(
      event.detections.map((finding) => [finding.engine, finding.name]),
      [['analysis:sandbox', 'Sandbox.Test.Marker']],
    );
    assert.equal(event.analysis?.outcome, 'blocked');
    assert.ok(event.quarantineId, 'the original is kept in quarantine');
    assert.equal(followUp.releasedCalls.length, 0, 'nothing was released before its verdict');
  });

  it('past the maximum wait (onTimeout deliver): released unchanged; the late verdict blocks the same attachment in another message', async () => {
    delay(6);
    const before = calls().length;
    const first = await fetchUid(3);
    assert.equal(sha256(first.body), sha256(INBOX[2]), 'delivered as it is');
    const [released] = eventsFor('late verdict, first message');
    assert.equal(released.analysis?.outcome, 'timeout');
    assert.match(released.note ?? '', /analysis\.onTimeout=deliver/);
    assert.ok(released.decorationDropped?.dropped.some((item) => item.startsWith('X-InboxGuard')), 'the header note yields to the size');
    assert.equal(followUp.releasedCalls.length, 1);
    assert.deepEqual(followUp.releasedCalls[0].sha256s, [sha256(LATE_ZIP)]);
    assert.equal(followUp.releasedCalls[0].message.uid, 3);
    assert.equal(followUp.releasedCalls[0].message.mailbox, 'INBOX');
    assert.equal(followUp.releasedCalls[0].message.protocol, 'imap');

    const late = await until('the late-verdict event', () => events().find((event) => event.verdict === 'late-verdict' && event.subject === 'late verdict, first message'));
    assert.deepEqual(late.detections.map((finding) => finding.engine), ['analysis:sandbox']);
    assert.deepEqual(late.actions, ['blocked-from-now-on']);
    assert.equal(late.uid, 3);
    assert.deepEqual(followUp.lateCalls, [{ sha256: sha256(LATE_ZIP), verdict: 'malicious', name: 'Sandbox.Test.Marker', backend: 'analysis:sandbox', blocking: true }]);

    delay(1);
    const second = await fetchUid(4);
    assert.ok(!carriesZip(second.body, LATE_ZIP), 'blocked in the other message');
    assert.equal(second.keepalives, 0, 'known bad: not held');
    assert.equal(calls().length, before + 1, 'known bad: not analysed again');
    const [blocked] = eventsFor('late verdict, second message');
    assert.deepEqual(blocked.detections.map((finding) => finding.engine), ['analysis:sandbox']);
  });

  it('past the maximum wait (onTimeout block): the held part is removed; its clean late verdict is still recorded', async () => {
    const file = parse(readFileSync(proxy.configPath, 'utf8')) as typeof settings;
    file.analysis.onTimeout = 'block';
    writeFileSync(proxy.configPath, stringify(file));
    assert.ok(proxy.reload());
    delay(6);
    const { body } = await fetchUid(5);
    assert.equal(body.length, INBOX[4].length);
    assert.ok(!carriesZip(body, LATE_CLEAN_ZIP), 'removed at the maximum wait');
    const [event] = eventsFor('timeout with onTimeout block');
    assert.equal(event.analysis?.outcome, 'timeout');
    assert.match(event.note ?? '', /analysis\.onTimeout=block/);
    const late = await until('the late clean verdict', () => events().find((candidate) => candidate.verdict === 'late-verdict' && candidate.subject === 'timeout with onTimeout block'));
    assert.deepEqual(late.detections, []);
    assert.equal(followUp.lateCalls.at(-1)?.blocking, false);
    file.analysis.onTimeout = 'deliver';
    writeFileSync(proxy.configPath, stringify(file));
    assert.ok(proxy.reload());
  });

  it('holds list shows the held message; holds release delivers it at once and analysis goes on', async () => {
    delay(8);
    const fetching = fetchUid(6);
    const [hold] = await until('the hold', () => (proxy.holds!.list().length > 0 ? proxy.holds!.list() : undefined));
    assert.equal(hold.protocol, 'imap');
    assert.equal(hold.mailbox, 'INBOX');
    assert.equal(hold.uid, 6);
    assert.equal(hold.subject, 'released by hand');
    assert.equal(typeof hold.session, 'number');
    assert.deepEqual(hold.parts, [{ name: 'files-6.zip', sha256: sha256(HELD_ZIP) }]);
    assert.deepEqual(hold.backends, ['sandbox']);
    assert.ok(hold.timeLeftSeconds > 0 && hold.timeLeftSeconds <= 4);
    assert.equal(proxy.holds!.release('no-such-hold'), false);
    assert.equal(proxy.holds!.release(hold.id), true);
    const { body } = await fetching;
    assert.equal(sha256(body), sha256(INBOX[5]));
    assert.deepEqual(proxy.holds!.list(), []);
    assert.equal(eventsFor('released by hand')[0].analysis?.outcome, 'released');
    assert.deepEqual(followUp.releasedCalls.at(-1)?.sha256s, [sha256(HELD_ZIP)]);
  });

  it('holds block removes the held part and stores a manual verdict', async () => {
    delay(8);
    const fetching = fetchUid(7);
    const [hold] = await until('the hold', () => {
      const holds = proxy.holds!.list().filter((candidate) => candidate.uid === 7);
      return holds.length > 0 ? holds : undefined;
    });
    assert.equal(proxy.holds!.block(hold.id), true);
    const { body } = await fetching;
    assert.ok(!carriesZip(body, HELD_BLOCK_ZIP));
    assert.equal(eventsFor('blocked by hand')[0].analysis?.outcome, 'blocked-manually');
    const store = VerdictStore.open(dataDir);
    const record = store.get(sha256(HELD_BLOCK_ZIP));
    store.close();
    assert.equal(record?.source, 'manual');
    assert.equal(record?.verdict, 'malicious');
  });

  it('POP3: the hold ends at pop3.maxHoldSeconds, per analysis.onTimeout (deliver)', async () => {
    delay(6);
    const before = followUp.releasedCalls.length;
    const fetched = await pythonPop({ host: '127.0.0.1', port: proxy.port('pop3s'), mode: 'implicit', caPath: proxy.caPath, user: 'bob', password: 'secret' });
    assert.deepEqual(fetched.map((entry) => entry.sha256), [sha256(POP3_MESSAGE)]);
    const [event] = eventsFor('pop3 hold');
    assert.equal(event.analysis?.outcome, 'timeout');
    assert.match(event.note ?? '', /could wait no longer/);
    assert.equal(followUp.releasedCalls.length, before + 1);
    assert.equal(followUp.releasedCalls.at(-1)?.message.protocol, 'pop3');
  });

  it('POP3 with onTimeout block: at pop3.maxHoldSeconds the held part is removed (prepared while held)', async () => {
    const file = parse(readFileSync(proxy.configPath, 'utf8')) as typeof settings;
    file.analysis.onTimeout = 'block';
    writeFileSync(proxy.configPath, stringify(file));
    assert.ok(proxy.reload());
    // The workers rebuild their engines for the new settings: a fetch that is not held waits that out.
    await fetchUid(1);
    dovecot.seed('bob', [POP3_BLOCKED]);
    delay(6);
    const fetched = await pythonPop({ host: '127.0.0.1', port: proxy.port('pop3s'), mode: 'implicit', caPath: proxy.caPath, user: 'bob', password: 'secret' });
    assert.equal(fetched.length, 2);
    assert.notEqual(fetched[1].sha256, sha256(POP3_BLOCKED), 'rewritten');
    assert.equal(fetched[1].size, POP3_BLOCKED.length, 'size kept');
    const [event] = eventsFor('pop3 hold, block');
    assert.deepEqual(event.detections.map((finding) => [finding.engine, finding.name]), [['analysis:sandbox', 'Analysis.Timeout']]);
    assert.ok(event.quarantineId, 'the original is kept');
    assert.equal(event.analysis?.outcome, 'timeout');
    assert.match(event.note ?? '', /analysis\.onTimeout=block.*could wait no longer/);
    file.analysis.onTimeout = 'deliver';
    writeFileSync(proxy.configPath, stringify(file));
    assert.ok(proxy.reload());
  });

  it('verdicts survive a restart; forgetting one makes the next fetch analyse again', async () => {
    delay(1);
    const first = await fetchUid(8);
    assert.ok(!carriesZip(first.body, RESTART_ZIP));
    const analysed = calls().filter((line) => line === sha256(RESTART_ZIP)).length;
    assert.equal(analysed, 1);
    await proxy.close();
    proxy = await start();
    const second = await fetchUid(9);
    assert.ok(!carriesZip(second.body, RESTART_ZIP), 'blocked by the stored verdict after the restart');
    assert.equal(calls().filter((line) => line === sha256(RESTART_ZIP)).length, 1, 'without a new analysis');
    const store = VerdictStore.open(dataDir);
    assert.equal(store.forget(sha256(RESTART_ZIP)), true);
    store.close();
    const third = await fetchUid(9);
    assert.ok(!carriesZip(third.body, RESTART_ZIP), 'analysed again, and found again');
    assert.equal(calls().filter((line) => line === sha256(RESTART_ZIP)).length, 2);
  });
});
