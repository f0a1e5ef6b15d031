// `inboxguard rules test FILE.eml`: a dry run of a layer's rules on one message, printing every rule in
// evaluation order and what it did. Nothing is written: no quarantine copy, no event, no hit counted.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readConfigOrDefaults } from '../config/store.js';
import type { BodyContext } from '../protocol/engine.js';
import type { TraceEntry } from '../rules/index.js';
import type { ScanReport } from '../scan/pipeline.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';
import { addLayerOption, layerName, parseLayerOption } from './rules-commands.js';

interface TestOptions {
  layer?: string;
  out?: string;
  json?: boolean;
  listener?: string;
  upstream?: string;
  user?: string;
  application?: string;
}

export function registerRulesTestCommand(rules: Command): void {
  addLayerOption(rules.command('test <file>').description('dry run: evaluate the rules on a message (.eml or - for standard input) and show each rule, the verdict and the changes; writes nothing'))
    .option('--out <file>', 'write the message as it would be delivered')
    .option('--json', 'machine-readable output')
    .option('--listener <name>', 'listener name the filtering rules see')
    .option('--upstream <host:port>', 'upstream the filtering rules see')
    .option('--user <name>', 'login name the filtering rules see')
    .option('--application <name>', 'client application the filtering rules see')
    .action(async (file: string, options: TestOptions, command: Command) => {
      const layer = parseLayerOption(options.layer);
      const bytes = readMessage(file);
      const context = cliContext(command);
      const config = readConfigOrDefaults(context.configPath);
      const { createScanSetup } = await import('../scan/create-pipeline.js');
      const setup = await createScanSetup(config, context.dataDir, undefined, config.scan.engines, { layer });
      try {
        const outcome = await setup.pipeline.evaluate(bytes, bodyContext(options), false);
        console.log(options.json ? JSON.stringify(summary(file, layerName(layer), bytes, outcome), null, 2) : readable(file, layerName(layer), bytes, outcome));
        if (options.out) writeFileSync(options.out, outcome.rewritten?.bytes ?? bytes);
      } finally {
        await setup.close();
      }
    });
}

function readMessage(file: string): Buffer {
  try {
    return file === '-' ? readFileSync(0) : readFileSync(file);
  } catch (error) {
    throw new UserError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function bodyContext(options: TestOptions): BodyContext {
  const context: BodyContext = { protocol: 'imap', section: 'BODY[]', listener: options.listener ?? '' };
  if (options.upstream) context.upstream = options.upstream;
  if (options.user) context.user = options.user;
  if (options.application) context.application = options.application;
  return context;
}

function summary(file: string, layer: string, bytes: Buffer, outcome: ScanReport) {
  return {
    file,
    layer,
    trace: outcome.trace,
    rules: outcome.rules,
    verdict: outcome.decision.scanSkippedBy ? 'not-scanned' : outcome.inspection.verdict,
    detections: outcome.inspection.findings,
    decision: { ...outcome.decision, parts: outcome.decision.action === 'strip' ? outcome.decision.parts.map((part) => part.fileName ?? `part ${part.path}`) : undefined },
    changed: outcome.rewritten !== undefined,
    bytes: bytes.length,
    bytesAfter: outcome.rewritten?.bytes.length ?? bytes.length,
  };
}

function readable(file: string, layer: string, bytes: Buffer, outcome: ScanReport): string {
  const { trace, decision, inspection } = outcome;
  const lines = [`${file}: dry run of the ${layer} rules (nothing is quarantined, logged or counted)`, 'filtering:', ...entries(trace.filtering)];
  if (decision.scanSkippedBy) lines.push(`attachment: not evaluated, the scan was skipped by rule ${decision.scanSkippedBy.id} "${decision.scanSkippedBy.name}"`);
  for (const part of trace.attachments) {
    lines.push(`attachment, part ${part.part}${part.fileName ? ` "${part.fileName}"` : ''}${part.scanned ? '' : ' (not scanned)'}:`, ...entries(part.trace));
  }
  lines.push('result:', ...entries(trace.result));
  const verdict = decision.scanSkippedBy ? 'not-scanned' : inspection.verdict;
  lines.push(`verdict: ${verdict}${inspection.findings.length > 0 ? ` (${[...new Set(inspection.findings.map((finding) => finding.name))].join(', ')})` : ''}`);
  lines.push(`would: ${changes(outcome).join('; ')}`);
  if (outcome.rewritten) lines.push(`size: ${bytes.length} → ${outcome.rewritten.bytes.length} bytes${outcome.rewritten.sizePreserved ? ' (kept)' : ''}`);
  return lines.join('\n');
}

function entries(trace: readonly TraceEntry[]): string[] {
  if (trace.length === 0) return ['  (no rules at this level)'];
  return trace.map((entry, index) => {
    const rule = `  ${index + 1}. ${entry.id} "${entry.name}": `;
    if (entry.outcome === 'matched') return `${rule}matched`;
    if (entry.outcome === 'not-matched') return `${rule}not matched, ${entry.reason}`;
    return `${rule}skipped (${entry.reason})`;
  });
}

function changes(outcome: ScanReport): string[] {
  const { decision } = outcome;
  const out: string[] = [];
  if (decision.action === 'strip') out.push(`remove ${decision.parts.map((part) => `"${part.fileName ?? `part ${part.path}`}"`).join(', ')} (replaced by a notice)`);
  else if (decision.action === 'replace-message' || decision.action === 'block') out.push(`replace the whole message with a notice (${decision.reason})`);
  else out.push(decision.scanSkippedBy ? 'deliver it unscanned and unchanged' : 'deliver it unchanged');
  if (decision.keepCopy || decision.action !== 'deliver') out.push('keep the original in quarantine');
  for (const header of decision.changes.headers) out.push(`add header ${header.name}: ${header.value}`);
  for (const tag of decision.changes.subjectTags) out.push(`tag the subject with ${tag}`);
  const dropped = outcome.decorationDropped;
  if (dropped) {
    const steps = [...(dropped.dropped.length > 0 ? [`leave out ${dropped.dropped.join(', ')}`] : []), ...(dropped.notice ? [`use the ${dropped.notice} notice`] : [])];
    out.push(`${steps.join(' and ')} to keep the size (the event records it)`);
  }
  for (const rule of outcome.rules) if (rule.actions.includes('log')) out.push(`log rule ${rule.id}${rule.part ? ` for ${rule.part}` : ''}`);
  return out;
}
