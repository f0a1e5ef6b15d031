import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DEFAULT_RULES, defaultRules, evaluateLevel, type AttachmentFacts } from '../../../src/rules/index.js';
import { defaultArchiveLimits } from '../../../src/scan/archive/index.js';
import { attachmentFacts } from '../../../src/scan/build-facts.js';
import { createBuiltinEngine, type BuiltinEngine } from '../../../src/scan/engines/builtin/index.js';
import { inspectFile } from '../../../src/scan/inspect-file.js';
import type { PartReport } from '../../../src/scan/message-inspection.js';
import { verdictOf } from '../../../src/scan/verdict.js';
import { EICAR } from '../scan/archive/archive-builders.js';
import { minimalPe, pdfFile } from '../scan/engines/samples.js';
import { attachment, result } from './facts-fixtures.js';

const rules = defaultRules();

function actionsFor(facts: AttachmentFacts): string[] {
  return evaluateLevel(rules, 'attachment', facts).applied.flatMap((applied) => applied.actions.map((action) => action.type));
}

describe('default rules', () => {
  let builtin: BuiltinEngine;
  before(async () => {
    builtin = await createBuiltinEngine({ signatureDirs: [], includeShippedSignatures: false });
  });

  /** Scans one attachment with the real builtin engine and turns the report into rule facts. */
  async function scanned(fileName: string, declaredType: string, content: Buffer): Promise<AttachmentFacts> {
    const inspection = await inspectFile(
      content,
      { fileName, declaredType, location: [fileName], insideArchive: false },
      { engines: [builtin], archiveLimits: defaultArchiveLimits, facts: (bytes, info) => builtin.facts(bytes, info) },
    );
    const part: PartReport = { path: '2', fileName, declaredType, facts: inspection.facts, findings: inspection.findings, errors: inspection.errors, verdict: verdictOf(inspection.findings, inspection.errors), size: content.length, scanned: true, rules: { applied: [], trace: [] } };
    return attachmentFacts(part);
  }

  it('parse, with fixed ids', () => {
    assert.deepEqual(
      rules.map((rule) => rule.id),
      ['r-default-1', 'r-default-2', 'r-default-3', 'r-default-4', 'r-default-5'],
    );
    assert.equal(DEFAULT_RULES.length, rules.length);
  });

  it('strip an EICAR-infected part', async () => {
    const facts = await scanned('readme.txt', 'text/plain', EICAR);
    assert.equal(facts.partVerdict, 'infected');
    const outcome = evaluateLevel(rules, 'attachment', facts);
    assert.deepEqual(
      outcome.applied.map((applied) => applied.id),
      ['r-default-1'],
    );
    assert.deepEqual(actionsFor(facts), ['delete-attachment', 'log']);
  });

  it('strip a PE named invoice.pdf.exe', async () => {
    const facts = await scanned('invoice.pdf.exe', 'application/pdf', minimalPe());
    assert.equal(facts.detectedType, 'pe');
    assert.equal(facts.doubleExtension, true);
    assert.deepEqual(actionsFor(facts), ['delete-attachment', 'log']);
  });

  it('do nothing to a clean PDF', async () => {
    const facts = await scanned('report.pdf', 'application/pdf', pdfFile('1 0 obj << /Type /Catalog >> endobj'));
    assert.equal(facts.partVerdict, 'clean');
    const outcome = evaluateLevel(rules, 'attachment', facts);
    assert.deepEqual(outcome.applied, []);
    assert.ok(outcome.trace.every((entry) => entry.outcome === 'not-matched'));
  });

  it('strip a disguised name even when its content is harmless, and archives over a limit', () => {
    assert.deepEqual(actionsFor(attachment({ fileName: 'photo_\u202Egpj.exe', bidiName: true, detectedType: 'image' })), ['delete-attachment', 'log']);
    assert.deepEqual(actionsFor(attachment({ partVerdict: 'archive-limit', detectedType: 'zip' })), ['delete-attachment', 'log']);
  });

  it('only log an encrypted archive', () => {
    assert.deepEqual(actionsFor(attachment({ fileName: 'secret.zip', detectedType: 'zip', encrypted: true, partVerdict: 'encrypted' })), ['log']);
  });

  it('mark messages that could not be fully checked, not clean or infected ones', () => {
    const applied = (verdict: Parameters<typeof result>[0]) => evaluateLevel(rules, 'result', result(verdict)).applied;
    assert.deepEqual(applied({ verdict: 'encrypted' })[0]?.actions[0], { type: 'add-header', name: 'X-InboxGuard-Warning', value: 'not fully checked' });
    assert.equal(applied({ verdict: 'timeout' }).length, 1);
    assert.equal(applied({ verdict: 'clean' }).length, 0);
    assert.equal(applied({ verdict: 'infected' }).length, 0);
  });

  it('apply no filtering rules', () => {
    assert.deepEqual(evaluateLevel(rules, 'filtering', { from: [], to: [], cc: [], headers: [], size: 1, hasAttachments: false, upstreamHost: 'h', listener: 'l' }), { applied: [], trace: [] });
  });
});
