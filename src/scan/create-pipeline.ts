import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { LiveConfig } from '../config/live-config.js';
import type { Config } from '../config/schema.js';
import type { RuleLayer } from '../config/store.js';
import { EventLog, eventsPath } from '../store/events.js';
import { Quarantine, quarantineDir } from '../store/quarantine.js';
import { RuleHitStore } from '../store/rule-hits.js';
import { createInspector, policyFrom } from './create-inspector.js';
import { createEvaluator, type Evaluator } from './evaluate.js';
import type { FileInspector } from './inspect-file.js';
import { ScanPipeline, type CancellableEvaluator } from './pipeline.js';
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
  options: { workers?: boolean; countRuleHits?: boolean; layer?: RuleLayer; /** Tests: a fault-injecting worker entry. */ workerEntry?: URL } = {},
): Promise<ScanSetup> {
  let engines = await createInspector(config, dataDir, engineNames, log);
  const hitStore = options.countRuleHits ? RuleHitStore.open(dataDir) : undefined;
  const pool = options.workers ? new ScanWorkerPool(config.scan.maxConcurrentScans, { config, dataDir, engineNames }, options.workerEntry) : undefined;
  const policyOf = (current: Config) => policyFrom(current, options.layer);
  const evaluatorFor = (current: Config, inspector: FileInspector): Evaluator | CancellableEvaluator =>
    pool ? (bytes, context, signal) => pool.evaluate(bytes, context, signal) : createEvaluator(inspector, policyOf(current));
  const pipeline = new ScanPipeline({
    evaluate: evaluatorFor(config, engines.inspector),
    engineNames,
    policy: policyOf(config),
    quarantine: new Quarantine(quarantineDir(dataDir)),
    events: new EventLog(eventsPath(dataDir)),
    maxConcurrentScans: config.scan.maxConcurrentScans,
    timeoutSeconds: config.scan.timeoutSeconds,
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
          pipeline.reconfigure({ evaluate: evaluatorFor(next, engines.inspector), engineNames: names, policy: policyOf(next), timeoutSeconds: next.scan.timeoutSeconds });
          return;
        }
        void createInspector(next, dataDir, names, log).then(
          (fresh) => {
            const old = engines;
            engines = fresh;
            pipeline.reconfigure({ evaluate: evaluatorFor(next, fresh.inspector), engineNames: names, policy: policyOf(next), timeoutSeconds: next.scan.timeoutSeconds });
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
