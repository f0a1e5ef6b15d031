// Rules wired into the scan pipeline: each action, the order of the levels, and what a dry run leaves behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { readEnvelope, walkMessage } from '../../../src/mime/index.js';
import { createScanSetup } from '../../../src/scan/create-pipeline.js';
import type { ScanReport } from '../../../src/scan/pipeline.js';
import { eventsPath, readEvents } from '../../../src/store/events.js';
import { Quarantine, quarantineDir } from '../../../src/store/quarantine.js';
import { RuleHitStore, stateDbPath } from '../../../src/store/rule-hits.js';
import { withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';
import { minimalPe } from './engines/samples.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', listener: 'work', upstream: 'imap.example.org:993', user: 'bob' };
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const message = withAttachments({
  seed: 7,
  subject: 'Quarterly invoice',
  attachments: [
    { filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR },
    { filename: 'report.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1') },
  ],
});
const clean = withAttachments({ seed: 8, subject: 'Lunch', attachments: [{ filename: 'menu.txt', contentType: 'text/plain', content: Buffer.from('soup\r\n') }] });

type RawRule = Record<string, unknown>;
let counter = 0;
const rule = (level: string, conditions: unknown[], actions: unknown[], extra: RawRule = {}): RawRule => ({ id: `r-t${++counter}`, name: `rule ${counter}`, level, conditions, actions, ...extra });

/** Evaluates `bytes` with exactly these transport rules; `act` also quarantines and counts, as the proxy does. */
async function run(rules: RawRule[], bytes: Buffer, act = false): Promise<{ outcome: ScanReport; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-rule-actions-'));
  dirs.push(dataDir);
  const setup = await createScanSetup(configSchema.parse({ rules: { transport: rules } }), dataDir, undefined, ['builtin'], { countRuleHits: act });
  try {
    return { outcome: act ? await scanAndRecord(setup.pipeline, bytes) : await setup.pipeline.evaluate(bytes, CONTEXT, false), dataDir };
  } finally {
    await setup.close();
  }
}

/** What the proxy does per body: evaluate with side effects, then log the event. */
async function scanAndRecord(pipeline: Awaited<ReturnType<typeof createScanSetup>>['pipeline'], bytes: Buffer): Promise<ScanReport> {
  const outcome = await pipeline.evaluate(bytes, CONTEXT, true);
  await pipeline.scan({ size: bytes.length, inMemory: () => bytes, readAll: async () => bytes, range: async function* () { yield bytes; } }, CONTEXT);
  return outcome;
}

const delivered = (outcome: ScanReport, original: Buffer) => outcome.rewritten?.bytes ?? original;
const partNames = (bytes: Buffer) => walkMessage(bytes).parts.map((part) => part.fileName ?? part.contentType);

describe('rules in the scan pipeline', () => {
  it('log: records the rule and changes nothing', async () => {
    const { outcome } = await run([rule('filtering', [{ field: 'subject', op: 'contains', value: 'lunch' }], ['log'])], clean);
    assert.equal(outcome.rewritten, undefined);
    assert.deepEqual(outcome.rules, [{ id: `r-t${counter}`, name: `rule ${counter}`, level: 'filtering', actions: ['log'] }]);
  });

  it('skip-scan: no engine sees the message, attachment and result rules are not evaluated, and the header says so', async () => {
    const skip = rule('filtering', [{ field: 'from-domain', op: 'is', value: 'example.org' }], ['skip-scan']);
    const strip = rule('attachment', [], ['delete-attachment']);
    const tag = rule('result', [], [{ 'tag-subject': '[seen]' }]);
    const { outcome } = await run([skip, strip, tag], message);
    assert.deepEqual(outcome.decision.scanSkippedBy, { id: skip.id, name: skip.name });
    assert.deepEqual(outcome.inspection.findings, [], 'nothing was scanned');
    assert.deepEqual(outcome.trace.attachments, []);
    assert.deepEqual(outcome.trace.result, [{ id: tag.id, name: tag.name, outcome: 'skipped', reason: 'scan skipped' }]);
    assert.equal(outcome.rewritten, undefined, 'delivered byte for byte: a marking header would change the size the client knows');
    assert.deepEqual(outcome.decorationDropped?.dropped, ['header X-InboxGuard'], 'the event records the marking instead');
    assert.equal(outcome.decision.keepCopy, false);
  });

  it('skip-part-scan: the part never reaches the engines, so rules on its verdict do not hold', async () => {
    const skip = rule('attachment', [{ field: 'extension', op: 'is', value: 'com' }], ['skip-part-scan', 'evaluate-other-rules']);
    const strip = rule('attachment', [{ field: 'part-verdict', op: 'is', value: 'infected' }], ['delete-attachment']);
    const { outcome } = await run([skip, strip], message);
    const part = outcome.inspection.parts.find((candidate) => candidate.fileName === 'eicar.com');
    assert.equal(part?.scanned, false);
    assert.equal(outcome.inspection.verdict, 'clean');
    assert.equal(outcome.decision.action, 'deliver');
    assert.match(outcome.trace.attachments.find((entry) => entry.fileName === 'eicar.com')?.trace[1].outcome ?? '', /not-matched/);
    const other = outcome.inspection.parts.find((candidate) => candidate.fileName === 'report.pdf');
    assert.equal(other?.scanned, true, 'other parts are still scanned');
  });

  it('a rule on the scan result after a skip-part-scan rule: parts the skip does not match are scanned and judged', async () => {
    const skip = rule('attachment', [{ field: 'extension', op: 'is', value: 'pdf' }], ['skip-part-scan']);
    const strip = rule('attachment', [{ field: 'part-verdict', op: 'is', value: 'infected' }], ['delete-attachment']);
    const { outcome } = await run([skip, strip], message);
    assert.equal(outcome.decision.action, 'strip');
    assert.deepEqual(outcome.decision.action === 'strip' && outcome.decision.parts.map((part) => part.fileName), ['eicar.com']);
  });

  it('delete-attachment: by type, with a notice naming the rule; result rules see the scan verdict', async () => {
    const pe = withAttachments({ seed: 9, subject: 'setup', attachments: [{ filename: 'setup.bin', contentType: 'application/octet-stream', content: minimalPe() }] });
    const strip = rule('attachment', [{ field: 'detected-type', op: 'is', value: 'pe' }], ['delete-attachment'], { name: 'No programs' });
    const sawClean = rule('result', [{ field: 'verdict', op: 'is', value: 'clean' }], [{ 'add-header': { name: 'X-Checked', value: 'clean' } }]);
    const { outcome } = await run([strip, sawClean], pe);
    const bytes = delivered(outcome, pe);
    assert.deepEqual(partNames(bytes).slice(-1), ['setup.bin.removed.txt']);
    assert.match(walkMessage(bytes).parts.at(-1)?.decode().toString('utf8') ?? '', /^inboxguard removed "setup\.bin": rule "No programs"\./);
    assert.match(bytes.toString('latin1'), /\r\nX-Checked: clean\r\n/);
    assert.ok(outcome.rules.some((applied) => applied.id === sawClean.id && applied.level === 'result'));
  });

  it('replace-message: the whole message becomes a notice naming the rule', async () => {
    const replace = rule('filtering', [{ field: 'subject', op: 'matches', value: '^quarterly' }], ['replace-message'], { name: 'No invoices' });
    const invoice = withAttachments({ seed: 11, subject: 'Quarterly figures', attachments: [{ filename: 'q.txt', contentType: 'text/plain', content: Buffer.from('numbers\r\n') }] });
    const { outcome } = await run([replace], invoice);
    assert.equal(outcome.decision.action, 'replace-message');
    const bytes = delivered(outcome, invoice);
    assert.match(bytes.toString('utf8'), /inboxguard withheld this message because the rule "No invoices" applies to it\./);
    assert.deepEqual(partNames(bytes), ['text/plain']);
    assert.equal(outcome.quarantined, undefined, 'a dry run keeps nothing');
  });

  it('quarantine: keeps a copy and delivers the message unchanged', async () => {
    const keep = rule('filtering', [{ field: 'user', op: 'is', value: 'bob' }], ['quarantine']);
    const { outcome, dataDir } = await run([keep], clean, true);
    assert.equal(outcome.rewritten, undefined, 'delivered byte for byte');
    const kept = new Quarantine(quarantineDir(dataDir)).list();
    assert.equal(kept.length, 1);
    assert.deepEqual(new Quarantine(quarantineDir(dataDir)).original(kept[0].id), clean);
    assert.equal(kept[0].action, 'quarantine');
  });

  it('add-header and tag-subject: applied where a removed part leaves room, recorded in the event where the message would grow', async () => {
    const mark = rule('filtering', [{ field: 'upstream-host', op: 'glob', value: '*.example.org' }], [{ 'add-header': { name: 'X-Route', value: 'work' } }, { 'tag-subject': '[ext]' }]);
    const onClean = (await run([mark], clean)).outcome;
    assert.equal(onClean.rewritten, undefined, 'a delivered message keeps its bytes and its size');
    assert.deepEqual(onClean.decorationDropped?.dropped, ['subject tag "[ext]"', 'header X-Route']);

    const strip = rule('attachment', [{ field: 'file-name', op: 'glob', value: '*.bin' }], ['delete-attachment']);
    const large = withAttachments({ seed: 12, subject: 'Lunch', attachments: [{ filename: 'menu.bin', contentType: 'application/octet-stream', content: Buffer.alloc(4000, 7) }] });
    const { outcome } = await run([mark, strip], large);
    const bytes = delivered(outcome, large);
    assert.equal(bytes.length, large.length);
    const envelope = await readEnvelope(bytes);
    assert.equal(envelope.subject, '[ext] [inboxguard: attachment removed] Lunch');
    assert.deepEqual(envelope.headers.filter((header) => header.name === 'x-route').map((header) => header.value), ['work']);
    assert.equal(outcome.decorationDropped, undefined);
  });

  it('stop versus evaluate-other-rules, and disabled rules', async () => {
    const first = rule('filtering', [], [{ 'add-header': { name: 'X-One', value: '1' } }, 'evaluate-other-rules']);
    const off = rule('filtering', [], [{ 'add-header': { name: 'X-Off', value: '1' } }], { enabled: false });
    const second = rule('filtering', [], [{ 'add-header': { name: 'X-Two', value: '2' } }]);
    const third = rule('filtering', [], [{ 'add-header': { name: 'X-Three', value: '3' } }]);
    const { outcome } = await run([first, off, second, third], clean);
    assert.deepEqual(
      outcome.trace.filtering.map((entry) => entry.outcome),
      ['matched', 'skipped', 'matched', 'skipped'],
    );
    assert.deepEqual(outcome.decorationDropped?.dropped, ['header X-One', 'header X-Two']);
  });

  it('the shipped defaults: EICAR stripped and counted per part, with the original kept first and one event naming the rules', async () => {
    const twoInfected = withAttachments({
      seed: 10,
      subject: 'two',
      attachments: [
        { filename: 'a.com', contentType: 'application/octet-stream', content: EICAR },
        { filename: 'b.com', contentType: 'application/octet-stream', content: EICAR },
      ],
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-rule-defaults-'));
    dirs.push(dataDir);
    const setup = await createScanSetup(configSchema.parse({}), dataDir, undefined, ['builtin'], { countRuleHits: true });
    try {
      const body = { size: twoInfected.length, inMemory: () => twoInfected, readAll: async () => twoInfected, range: async function* () { yield twoInfected; } };
      const result = await setup.pipeline.scan(body, CONTEXT);
      assert.equal(result.changed, true);
    } finally {
      await setup.close();
    }
    const store = RuleHitStore.open(dataDir);
    assert.equal(store.all('transport').get('r-default-1')?.hits, 2, 'one hit per stripped part');
    store.close();
    assert.equal(new Quarantine(quarantineDir(dataDir)).list().length, 1);
    const [event] = readEvents(eventsPath(dataDir));
    assert.deepEqual(
      event.rules?.map((applied) => [applied.id, applied.part]),
      [['r-default-1', 'a.com'], ['r-default-1', 'b.com']],
    );
  });

  it('a dry run writes nothing: no quarantine, no event, no counter', async () => {
    const keep = rule('filtering', [], ['quarantine', 'evaluate-other-rules']);
    const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-rule-dry-'));
    dirs.push(dataDir);
    const setup = await createScanSetup(configSchema.parse({ rules: { transport: [keep, ...(configSchema.parse({}).rules.transport as RawRule[])] } }), dataDir, undefined, ['builtin']);
    try {
      const outcome = await setup.pipeline.evaluate(message, CONTEXT, false);
      assert.equal(outcome.decision.action, 'strip');
      assert.equal(outcome.quarantined, undefined);
    } finally {
      await setup.close();
    }
    assert.deepEqual(readdirSync(dataDir), []);
    assert.equal(existsSync(stateDbPath(dataDir)), false);
  });
});
