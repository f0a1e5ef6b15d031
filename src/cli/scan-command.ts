import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readConfigOrDefaults } from '../config/store.js';
import type { ScanReport } from '../scan/pipeline.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';

/** Verdicts that count as "threats found" for the exit code, as clamscan's 1. */
const THREATS = new Set(['infected', 'suspicious', 'archive-limit']);

export function registerScanCommand(program: Command): void {
  program
    .command('scan <path>')
    .description('scan .eml files (a file, a directory, or - for standard input) with the same pipeline as the proxy; exit 0 clean, 1 threats found, 2 error')
    .option('--json', 'one JSON object per message')
    .option('--out <file>', 'write the message as it would be delivered (single input only)')
    .option('--engines <list>', 'comma-separated engines, e.g. builtin,clamd (default: scan.engines of the config)')
    .action(async (path: string, options: { json?: boolean; out?: string; engines?: string }, command: Command) => {
      const context = cliContext(command);
      const config = readConfigOrDefaults(context.configPath);
      const engineNames = options.engines ? parseEngines(options.engines) : config.scan.engines;
      const inputs = listInputs(path);
      if (options.out && inputs.length !== 1) throw new UserError('--out needs exactly one input message');
      const { createScanSetup } = await import('../scan/create-pipeline.js');
      const setup = await createScanSetup(config, context.dataDir, undefined, engineNames);
      let exitCode = 0;
      try {
        for (const input of inputs) {
          const bytes = input === '-' ? readFileSync(0) : readFileSync(input);
          const outcome = await setup.pipeline.evaluate(bytes, { protocol: 'imap', section: 'BODY[]' }, false);
          if (THREATS.has(outcome.inspection.verdict)) exitCode = 1;
          else if (outcome.inspection.verdict === 'error' && exitCode === 0) exitCode = 2;
          console.log(options.json ? JSON.stringify(summary(input, bytes, outcome)) : readable(input, bytes, outcome));
          if (options.out) writeFileSync(options.out, outcome.rewritten?.bytes ?? bytes);
        }
      } finally {
        await setup.close();
      }
      process.exitCode = exitCode;
    });
}

function parseEngines(list: string): ('builtin' | 'clamd')[] {
  const names = list.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) if (name !== 'builtin' && name !== 'clamd') throw new UserError(`--engines: unknown engine "${name}" (builtin, clamd)`);
  if (names.length === 0) throw new UserError('--engines: name at least one engine');
  return names as ('builtin' | 'clamd')[];
}

function listInputs(path: string): string[] {
  if (path === '-') return ['-'];
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new UserError(`${path}: no such file or directory`);
  }
  if (!stats.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((name) => !name.startsWith('.'))
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile())
    .sort();
  if (files.length === 0) throw new UserError(`${path}: no files to scan`);
  return files;
}

function summary(input: string, bytes: Buffer, outcome: ScanReport) {
  return {
    file: input,
    verdict: outcome.inspection.verdict,
    detections: outcome.inspection.findings,
    action: outcome.decision.action,
    rules: outcome.rules,
    parts: outcome.inspection.parts.map((part) => ({ path: part.path, fileName: part.fileName, type: part.declaredType, detectedType: part.facts?.detectedType, verdict: part.verdict })),
    changed: outcome.rewritten !== undefined,
    bytes: bytes.length,
    bytesAfter: outcome.rewritten?.bytes.length ?? bytes.length,
    errors: outcome.inspection.errors,
  };
}

function readable(input: string, bytes: Buffer, outcome: ScanReport): string {
  const lines = [`${input}: ${outcome.inspection.verdict.toUpperCase()}`];
  for (const finding of outcome.inspection.findings) lines.push(`  ${finding.name} (${finding.engine}, ${finding.kind}) in ${finding.location.join(' / ')}`);
  for (const error of outcome.inspection.errors) lines.push(`  error: ${error}`);
  for (const rule of outcome.rules) lines.push(`  rule ${rule.id} "${rule.name}" (${rule.level}${rule.part ? `, ${rule.part}` : ''}): ${rule.actions.join(', ')}`);
  const decision = outcome.decision;
  if (decision.action === 'strip') lines.push(`  would remove: ${decision.parts.map((part) => part.fileName ?? `part ${part.path}`).join(', ')}`);
  else if (decision.action === 'replace-message' || decision.action === 'block') lines.push(`  would replace the whole message (${decision.reason})`);
  if (outcome.rewritten) lines.push(`  size ${bytes.length} → ${outcome.rewritten.bytes.length} bytes${outcome.rewritten.sizePreserved ? ' (kept)' : ''}`);
  const dropped = outcome.decorationDropped;
  if (dropped) lines.push(`  left out to keep the size: ${[...dropped.dropped, ...(dropped.notice ? [`full notice (${dropped.notice} used)`] : [])].join(', ')}`);
  return lines.join('\n');
}
