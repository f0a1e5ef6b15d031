// The configured engines and the rule policy, built from a configuration. Both the main thread and the
// scan workers use it, so it loads nothing a worker must not: no SQLite, quarantine or event log.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { RuleLayer } from '../config/store.js';
import { ensureIds, parseRules } from '../rules/index.js';
import type { EngineName } from '../types/verdict.js';
import { defaultArchiveLimits } from './archive/index.js';
import { createBuiltinEngine, formatWarning, type BuiltinEngine } from './engines/builtin/index.js';
import { createClamdEngine, describeAddress, parseClamdAddress, type ClamdEngine } from './engines/clamd/index.js';
import type { FileInspector } from './inspect-file.js';
import type { PolicySettings } from './policy.js';

/** What a scan worker needs to build the same engines as the main thread. */
export interface ScanWorkerData {
  config: Config;
  dataDir: string;
  engineNames: EngineName[];
  /** True when the pool answers verdict-store lookups (the pipeline has a verdict store). */
  verdicts?: boolean;
  /** The KnownHashFilter of the verdict store (set by the pool for the worker it starts). */
  knownHashes?: SharedArrayBuffer;
}

export function userSignatureDir(dataDir: string): string {
  return join(dataDir, 'signatures');
}

/** The proxy uses the transport rules; the mailbox scan (and its dry runs) its own. */
export function policyFrom(config: Config, layer: RuleLayer = 'transport'): PolicySettings {
  const where = `rules.${layer}`;
  // The configuration was validated; ids missing from hand-written rules are only assigned on load for use.
  const rules = parseRules(ensureIds(config.rules[layer]).rules, where);
  return { onError: config.scan.onError, subjectTag: config.actions.subjectTag, markClean: config.actions.markClean, rules };
}

/** The configured engines wrapped for inspection; warns about signature lines skipped and an unreachable clamd. */
export async function createInspector(config: Config, dataDir: string, engineNames: readonly EngineName[], log?: Logger) {
  const engines: (BuiltinEngine | ClamdEngine)[] = [];
  let builtin: BuiltinEngine | undefined;
  if (engineNames.includes('builtin')) {
    const userDir = userSignatureDir(dataDir);
    builtin = await createBuiltinEngine({ signatureDirs: [...(existsSync(userDir) ? [userDir] : []), ...config.scan.signatureDirs] });
    for (const warning of builtin.warnings) log?.warn({ warning: formatWarning(warning) }, 'signature line skipped');
    log?.debug({ signatures: builtin.signatureCount, dirs: builtin.signatureDirs }, 'builtin engine ready');
    engines.push(builtin);
  }
  let clamd: ClamdEngine | undefined;
  if (engineNames.includes('clamd')) {
    const { address, timeoutSeconds, maxConcurrent, streamMaxLength } = config.scan.clamd;
    clamd = createClamdEngine({ address: parseClamdAddress(address), timeoutMs: timeoutSeconds * 1000, maxConcurrent, streamMaxLength });
    if (log) {
      try {
        await clamd.ping();
        log.debug({ clamd: describeAddress(clamd.address), version: await clamd.version() }, 'clamd engine ready');
      } catch (error) {
        log.warn({ clamd: describeAddress(clamd.address), reason: (error as Error).message }, `clamd does not answer; messages are handled by scan.onError=${config.scan.onError} until it does`);
      }
    }
    engines.push(clamd);
  }
  const inspector: FileInspector = {
    engines,
    archiveLimits: { ...defaultArchiveLimits, ...config.scan.archive },
    facts: builtin ? (content, info) => (builtin as BuiltinEngine).facts(content, info) : undefined,
    factsFromHead: builtin ? (head, info) => (builtin as BuiltinEngine).factsFromHead(head, info) : undefined,
  };
  const description = [
    ...(builtin ? [`builtin (${Object.values(builtin.signatureCount).reduce((sum, count) => sum + count, 0)} signatures)`] : []),
    ...(clamd ? [`clamd at ${describeAddress(clamd.address)}`] : []),
  ].join(', ');
  return { inspector, description, close: () => Promise.all(engines.map((engine) => engine.close?.())).then(() => undefined) };
}
