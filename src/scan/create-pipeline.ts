import { isDeepStrictEqual } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LiveConfig } from '../config/live-config.js';
import type { Config } from '../config/schema.js';
import type { RuleLayer } from '../config/store.js';
import { ensureIds, parseRules } from '../rules/index.js';
import { EventLog, eventsPath } from '../store/events.js';
import { Quarantine, quarantineDir } from '../store/quarantine.js';
import { RuleHitStore } from '../store/rule-hits.js';
import { defaultArchiveLimits } from './archive/index.js';
import { createBuiltinEngine, formatWarning, type BuiltinEngine } from './engines/builtin/index.js';
import { createClamdEngine, describeAddress, type ClamdAddress, type ClamdEngine } from './engines/clamd/index.js';
import { createEvaluator, type Evaluator } from './evaluate.js';
import type { FileInspector } from './inspect-file.js';
import { ScanPipeline } from './pipeline.js';
import type { PolicySettings } from './policy.js';
import type { EngineName } from '../types/verdict.js';
import { ScanWorkerPool } from './worker-pool.js';

export interface ScanSetup {
  pipeline: ScanPipeline;
  /** Applies scan settings, actions and rules of every later configuration (hot reload). */
  follow(live: LiveConfig): void;
  /** One line for people, e.g. "builtin (4 signatures), clamd at 127.0.0.1:3310". */
  description: string;
  close(): Promise<void>;
}

/** What a scan worker needs to build the same engines as the main thread. */
export interface ScanWorkerData {
  config: Config;
  dataDir: string;
  engineNames: EngineName[];
}

export function userSignatureDir(dataDir: string): string {
  return join(dataDir, 'signatures');
}

export function parseClamdAddress(text: string): ClamdAddress {
  if (text.includes('/')) return { socket: text };
  const match = /^(.+):(\d+)$/.exec(text);
  if (!match) throw new Error(`scan.clamd.address "${text}" is neither HOST:PORT nor a socket path`);
  return { host: match[1], port: Number(match[2]) };
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
  };
  const description = [
    ...(builtin ? [`builtin (${Object.values(builtin.signatureCount).reduce((sum, count) => sum + count, 0)} signatures)`] : []),
    ...(clamd ? [`clamd at ${describeAddress(clamd.address)}`] : []),
  ].join(', ');
  return { inspector, description, close: () => Promise.all(engines.map((engine) => engine.close?.())).then(() => undefined) };
}

/**
 * The scan pipeline as the proxy runs it: with `workers`, the CPU side runs in
 * scan.maxConcurrentScans worker threads so the event loop is never held by a large message;
 * without, in this thread (inboxguard scan, tests).
 */
export async function createScanSetup(
  config: Config,
  dataDir: string,
  log?: Logger,
  engineNames: EngineName[] = config.scan.engines,
  options: { workers?: boolean; countRuleHits?: boolean; layer?: RuleLayer } = {},
): Promise<ScanSetup> {
  let engines = await createInspector(config, dataDir, engineNames, log);
  const hitStore = options.countRuleHits ? RuleHitStore.open(dataDir) : undefined;
  const pool = options.workers ? new ScanWorkerPool(config.scan.maxConcurrentScans, { config, dataDir, engineNames }) : undefined;
  const policyOf = (current: Config) => policyFrom(current, options.layer);
  const evaluatorFor = (current: Config, inspector: FileInspector): Evaluator =>
    pool ? (bytes, context) => pool.evaluate(bytes, context) : createEvaluator(inspector, policyOf(current));
  const pipeline = new ScanPipeline({
    evaluate: evaluatorFor(config, engines.inspector),
    engineNames,
    policy: policyOf(config),
    quarantine: new Quarantine(quarantineDir(dataDir)),
    events: new EventLog(eventsPath(dataDir)),
    maxConcurrentScans: config.scan.maxConcurrentScans,
    ruleHits: hitStore ? { store: hitStore, layer: options.layer ?? 'transport' } : undefined,
    log,
  });
  let unfollow: (() => void) | undefined;
  return {
    pipeline,
    description: engines.description,
    follow(live) {
      unfollow?.();
      unfollow = live.onChange((next, previous) => {
        if (isDeepStrictEqual([next.scan, next.actions, next.rules], [previous.scan, previous.actions, previous.rules])) return;
        const names = next.scan.engines;
        if (pool) {
          pool.update({ config: next, dataDir, engineNames: names });
          pipeline.reconfigure({ evaluate: evaluatorFor(next, engines.inspector), engineNames: names, policy: policyOf(next) });
          return;
        }
        void createInspector(next, dataDir, names, log).then(
          (fresh) => {
            const old = engines;
            engines = fresh;
            pipeline.reconfigure({ evaluate: evaluatorFor(next, fresh.inspector), engineNames: names, policy: policyOf(next) });
            void old.close();
          },
          (error: Error) => log?.error({ reason: error.message }, 'new scan settings could not be applied; the previous ones stay in force'),
        );
      });
    },
    close: async () => {
      unfollow?.();
      hitStore?.close();
      await pool?.close();
      await engines.close();
    },
  };
}
