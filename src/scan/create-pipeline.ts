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
import { isFreshClean, type VerdictRecord, type VerdictStore } from '../store/verdicts.js';
import { parseDuration } from '../duration.js';
import type { AnalysisFollowUp } from '../types/analysis-follow-up.js';
import type { HoldControl } from '../types/holds.js';
import { createBackends } from './analysis/create-backends.js';
import { analysisConfigured, scanDeadlineSeconds } from './analysis/hold-deadline.js';
import { knownVerdicts } from './analysis/known-parts.js';
import { StageTwo } from './analysis/stage-two.js';
import { KnownHashes } from './analysis/known-hashes.js';

export interface ScanSetup {
  pipeline: ScanPipeline;
  /** Messages held for stage-2 analysis (empty when no analysis backend is configured). */
  holds: HoldControl;
  /** Applies scan settings, actions and rules of every later configuration (hot reload). */
  follow(live: LiveConfig): void;
  /** One line for people, e.g. "builtin (4 signatures), clamd at 127.0.0.1:3310". */
  description: string;
  /** The scan workers' counters (with `workers`): for tests and benches. */
  workers?: Pick<ScanWorkerPool, 'liveWorkers' | 'stats'>;
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
  options: {
    workers?: boolean;
    countRuleHits?: boolean;
    layer?: RuleLayer;
    /** Tests: a fault-injecting worker entry. */
    workerEntry?: URL;
    /** Known verdicts are looked up here before stage 1; stage 2 (analysis.backends) stores its verdicts here. */
    verdicts?: VerdictStore;
    /** Told about messages released before their verdicts and about late verdicts. */
    followUp?: AnalysisFollowUp;
  } = {},
): Promise<ScanSetup> {
  const checked = await createInspector(config, dataDir, engineNames, log);
  const { verdicts } = options;
  const hitStore = options.countRuleHits ? RuleHitStore.open(dataDir) : undefined;
  const workerData = (current: Config, names: EngineName[]) => ({ config: current, dataDir, engineNames: names, verdicts: verdicts !== undefined });
  let cleanTtlMs = parseDuration(config.analysis.cleanTtl);
  const lookup = verdicts ? (sha256: string) => countingVerdict(verdicts.get(sha256), cleanTtlMs) : undefined;
  // The workers skip the round trip for parts the store cannot hold (almost all of them).
  const knownHashes = options.workers && verdicts ? new KnownHashes(verdicts) : undefined;
  const pool = options.workers
    ? new ScanWorkerPool(config.scan.maxConcurrentScans, workerData(config, engineNames), options.workerEntry, lookup && { lookup, known: knownHashes })
    : undefined;
  // With workers, each worker builds its own engines and signatures: this thread's were built only to
  // check the settings and describe them, and are not kept (an idle proxy then holds no signatures).
  if (pool) await checked.close();
  let engines = pool ? undefined : checked;
  const policyOf = (current: Config) => policyFrom(current, options.layer);
  const knownOf = (current: Config) => (lookup ? knownVerdicts(current.analysis, lookup, analysisConfigured(current)) : undefined);
  const pooled: CancellableEvaluator | undefined = pool && ((bytes, context, evaluation) => pool.evaluate(bytes, context, evaluation?.signal, evaluation?.known));
  const inThread = (current: Config, inspector: FileInspector): Evaluator => createEvaluator(inspector, policyOf(current), knownOf(current));
  const events = new EventLog(eventsPath(dataDir));
  const stageTwoOf = (current: Config, previous?: StageTwo): StageTwo | undefined => {
    if (!verdicts || !analysisConfigured(current)) return undefined;
    if (previous) {
      previous.reconfigure(current.analysis, createBackends(current.analysis.backends));
      return previous;
    }
    return new StageTwo(current.analysis, createBackends(current.analysis.backends), verdicts, events, options.followUp, log);
  };
  // One registry for the life of the setup: a hot reload that turns analysis off and on keeps the holds listed.
  let stageTwo = stageTwoOf(config);
  const holds: HoldControl = {
    list: () => stageTwo?.holds.list() ?? [],
    release: (id) => stageTwo?.holds.release(id) ?? false,
    block: (id) => stageTwo?.holds.block(id) ?? false,
  };
  const pipeline = new ScanPipeline({
    evaluate: pooled ?? inThread(config, checked.inspector),
    evaluateSpilled: pool ? (file, context, evaluation) => pool.evaluate(file, context, evaluation?.signal, evaluation?.known) : undefined,
    prewarm: pool && (() => pool.prewarm()),
    engineNames,
    policy: policyOf(config),
    quarantine: new Quarantine(quarantineDir(dataDir)),
    events,
    maxConcurrentScans: config.scan.maxConcurrentScans,
    timeoutSeconds: scanDeadlineSeconds(config),
    stageTwo,
    ruleHits: hitStore ? { store: hitStore, layer: options.layer ?? 'transport' } : undefined,
    log,
  });
  let unfollow: (() => void) | undefined;
  const reconfigure = (next: Config, evaluate: Evaluator) => {
    cleanTtlMs = parseDuration(next.analysis.cleanTtl);
    // Turned off, stage 2 keeps its registry and the analyses still running; new scans just skip it.
    stageTwo = stageTwoOf(next, stageTwo) ?? stageTwo;
    const active = analysisConfigured(next) ? stageTwo : undefined;
    pipeline.reconfigure({ evaluate, engineNames: next.scan.engines, policy: policyOf(next), timeoutSeconds: scanDeadlineSeconds(next), stageTwo: active });
  };
  return {
    pipeline,
    holds,
    description: checked.description,
    follow(live) {
      unfollow?.();
      unfollow = live.onChange((next, previous) => {
        if (isDeepStrictEqual([next.scan, next.actions, next.rules, next.analysis], [previous.scan, previous.actions, previous.rules, previous.analysis])) return;
        const names = next.scan.engines;
        if (pool && pooled) {
          pool.update(workerData(next, names));
          reconfigure(next, pooled);
          return;
        }
        void createInspector(next, dataDir, names, log).then(
          (fresh) => {
            const old = engines;
            engines = fresh;
            reconfigure(next, inThread(next, fresh.inspector));
            void old?.close();
          },
          (error: Error) => log?.error({ reason: error.message }, 'new scan settings could not be applied; the previous ones stay in force'),
        );
      });
    },
    workers: pool,
    close: async () => {
      unfollow?.();
      await stageTwo?.close();
      hitStore?.close();
      await pool?.close();
      knownHashes?.close();
      await engines?.close();
      events.close();
    },
  };
}

/** A stored verdict that still counts: an engine's clean verdict only within analysis.cleanTtl. */
function countingVerdict(record: VerdictRecord | undefined, cleanTtlMs: number): VerdictRecord | undefined {
  if (record?.verdict === 'clean' && !isFreshClean(record, cleanTtlMs)) return undefined;
  return record;
}
