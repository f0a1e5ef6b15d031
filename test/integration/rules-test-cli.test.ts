// `inboxguard rules test`: a dry run that shows every rule and its outcome, and writes nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { walkMessage } from '../../src/mime/index.js';
import { DEFAULT_RULES } from '../../src/rules/index.js';
import { eventsPath } from '../../src/store/events.js';
import { quarantineDir } from '../../src/store/quarantine.js';
import { RuleHitStore } from '../../src/store/rule-hits.js';
import { assertRefused, runCli } from '../helpers/cli.js';
import { withAttachments } from '../helpers/messages.js';
import { EICAR } from '../unit/scan/archive/archive-builders.js';
import { minimalPe } from '../unit/scan/engines/samples.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const keepCopy = { id: 'r-keep', name: 'Keep a copy of mail from the bank', level: 'filtering', conditions: [{ field: 'from-domain', op: 'is', value: 'example.org' }], actions: ['quarantine', 'log', 'evaluate-other-rules'] };
const tagAll = { id: 'r-tag', name: 'Tag everything', level: 'filtering', conditions: [], actions: [{ 'tag-subject': '[checked]' }] };

function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-rules-test-'));
  dirs.push(dataDir);
  writeFileSync(join(dataDir, 'config.yaml'), stringify({ rules: { transport: [keepCopy, tagAll, ...DEFAULT_RULES], mailboxScan: [] } }));
  const message = withAttachments({
    seed: 3,
    subject: 'statement',
    attachments: [
      { filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR },
      { filename: 'setup.bin', contentType: 'application/octet-stream', content: minimalPe() },
    ],
  });
  const messagePath = join(dataDir, 'statement.eml');
  writeFileSync(messagePath, message);
  const store = RuleHitStore.open(dataDir);
  store.record('transport', [{ ruleId: 'r-default-1', count: 5 }], new Date('2026-11-01T00:00:00Z'));
  const before = store.all('transport');
  store.close();
  return { dataDir, messagePath, before };
}

describe('inboxguard rules test', () => {
  it('prints every rule in evaluation order with its outcome, the verdict and the changes, and writes only --out', async () => {
    const { dataDir, messagePath, before } = setup();
    const out = join(dataDir, 'delivered.eml');
    const result = await runCli(['rules', 'test', messagePath, '--out', out], dataDir);
    assert.equal(result.code, 0, result.stderr);
    const text = result.stdout;
    assert.match(text, /^filtering:\n {2}1\. r-keep "Keep a copy of mail from the bank": matched\n {2}2\. r-tag "Tag everything": matched$/m);
    assert.match(text, /^attachment, part 2 "eicar\.com":\n {2}1\. r-default-1 "Strip detected threats": matched\n {2}2\. r-default-2 "Strip executables and scripts": skipped \(not reached\)/m);
    assert.match(text, /^attachment, part 3 "setup\.bin":\n {2}1\. r-default-1 "Strip detected threats": not matched, conditions\[0\]: part-verdict in \[infected, archive-limit\] did not hold \(found "clean"\)\n {2}2\. r-default-2 "Strip executables and scripts": matched/m);
    assert.match(text, /^result:\n {2}1\. r-default-5 "Mark messages that could not be fully checked": not matched/m);
    assert.match(text, /^verdict: infected \(Eicar-Test-Signature/m);
    assert.match(text, /^would: remove "eicar\.com", "setup\.bin" \(replaced by a notice\); keep the original in quarantine; tag the subject with \[checked\]; use the short notice to keep the size \(the event records it\); log rule r-keep; log rule r-default-1 for eicar\.com; log rule r-default-2 for setup\.bin$/m);
    const delivered = readFileSync(out);
    assert.deepEqual(
      walkMessage(delivered).parts.map((part) => part.fileName),
      [undefined, 'eicar.com.removed.txt', 'setup.bin.removed.txt'],
    );
    assert.match(delivered.toString('latin1'), /\r\nSubject: \[checked\] \[inboxguard: attachment removed\] statement\r\n/);

    assert.equal(existsSync(quarantineDir(dataDir)), false, 'no quarantine copy');
    assert.equal(existsSync(eventsPath(dataDir)), false, 'no event');
    const store = RuleHitStore.open(dataDir);
    assert.deepEqual(store.all('transport'), before, 'no hit counted');
    store.close();
  });

  it('--json has the whole trace; --layer picks the rule set; a skip-scan rule shows what was not evaluated', async () => {
    const { dataDir, messagePath } = setup();
    const json = await runCli(['rules', 'test', messagePath, '--json'], dataDir);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { trace: { attachments: unknown[] }; verdict: string; rules: { id: string }[] };
    assert.equal(parsed.trace.attachments.length, 3);
    assert.equal(parsed.verdict, 'infected');
    assert.deepEqual(parsed.rules.map((rule) => rule.id), ['r-keep', 'r-tag', 'r-default-1', 'r-default-2']);

    const mailbox = await runCli(['rules', 'test', messagePath, '--layer', 'mailbox-scan'], dataDir);
    assert.equal(mailbox.code, 0, mailbox.stderr);
    assert.match(mailbox.stdout, /^filtering:\n {2}\(no rules at this level\)$/m);
    assert.match(mailbox.stdout, /^would: deliver it unchanged; leave out header X-InboxGuard to keep the size \(the event records it\)$/m, 'no rules: not stripped, and a marking header would change the size');

    writeFileSync(join(dataDir, 'config.yaml'), stringify({ rules: { transport: [{ id: 'r-trust', name: 'Trust the office', level: 'filtering', conditions: [{ field: 'listener', op: 'is', value: 'office' }], actions: ['skip-scan'] }, ...DEFAULT_RULES] } }));
    const skipped = await runCli(['rules', 'test', messagePath, '--listener', 'office'], dataDir);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /^attachment: not evaluated, the scan was skipped by rule r-trust "Trust the office"$/m);
    assert.match(skipped.stdout, /^ {2}1\. r-default-5 "Mark messages that could not be fully checked": skipped \(scan skipped\)$/m);
    assert.match(skipped.stdout, /^verdict: not-scanned$/m);
  });

  it('bad input: one line, exit 2', async () => {
    const { dataDir, messagePath } = setup();
    for (const [args, pattern] of [
      [['rules', 'test', messagePath, '--layer', 'desktop'], /^inboxguard: --layer desktop: expected transport or mailbox-scan$/],
      [['rules', 'test', join(dataDir, 'missing.eml')], /^inboxguard: .*missing\.eml: cannot read: ENOENT$/],
    ] as const) {
      assertRefused(await runCli([...args], dataDir), pattern);
    }
  });
});
