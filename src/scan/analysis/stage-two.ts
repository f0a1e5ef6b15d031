// Stage 2 for one message at a time: the message is held while the parts the submission policy chose
// are analysed, then delivered as stage 1 left it (clean), re-evaluated with the blocking verdicts so
// the result rules clean it like any detection, or released at the maximum wait per analysis.onTimeout.
// Analysis goes on after a release; its verdict is then a late verdict: stored, logged as an event
// `late-verdict`, and passed to the AnalysisFollowUp (remediation, sharing).
import type { Logger } from 'pino';
import type { AnalysisConfig } from '../../config/analysis-schema.js';
import type { EventLog, ScanAnalysis } from '../../store/events.js';
import type { VerdictStore } from '../../store/verdicts.js';
import type { AnalysisFollowUp } from '../../types/analysis-follow-up.js';
import type { BodyContext } from '../../types/body-context.js';
import type { MessageOrigin } from '../../types/message-origin.js';
import type { BodyScanResult } from '../body-scanner.js';
import type { Submission } from '../evaluate.js';
import { HoldRegistry, type HeldMessage, type HoldEnd } from './holds.js';
import { analysisEngine, type KnownPart } from './known-parts.js';
import { PartAnalyses, type PartOutcome } from './part-analyses.js';
import type { AnalysisBackend } from './types.js';

/** What goes out, and the report the event is written from. */
export interface Delivery<R> {
  report: R;
  result: BodyScanResult;
}

export interface HoldRequest<R> {
  context: BodyContext;
  /** The spooled body: scanner.timedOut names the hold by it. */
  body: object;
  origin: MessageOrigin;
  submissions: Submission[];
  /** Stage 1's delivery. */
  stageOne: Delivery<R>;
  /** The message evaluated again with these parts decided (kept in quarantine when it changes). */
  reevaluate(known: KnownPart[]): Promise<Delivery<R>>;
}

export interface HoldResult<R> extends Delivery<R> {
  analysis: ScanAnalysis;
  note?: string;
  /** A backend failed and nothing blocked: scan.onError decides (this is the reason). */
  failed?: string;
  /** scanner.timedOut settled the message with analysis.onTimeout's result (the event says so). */
  settledByClient?: boolean;
  /** scanner.timedOut had no result ready and left the message to scan.onError, which wrote the event. */
  settledByPolicy?: boolean;
  /** The X-InboxGuard note a delivered message could not carry. */
  decorationDropped?: { dropped: string[]; reason: string };
}

interface ActiveHold {
  held: HeldMessage;
  stageOne: BodyScanResult;
  /** POP3 with onTimeout=block: the cleaned message (and its report), made ready while the hold runs. */
  prepared?: Delivery<unknown>;
  settledByClient?: boolean;
  settledByPolicy?: boolean;
}

const MANUAL_NAME = 'Manual.Block';
const TIMEOUT_NAME = 'Analysis.Timeout';
const UNCHANGED_REASON = 'a message delivered unchanged keeps its size, which the client may already know; the event records it instead';

export class StageTwo {
  readonly holds = new HoldRegistry();
  private readonly analyses: PartAnalyses;
  private readonly active = new WeakMap<object, ActiveHold>();
  private closed = false;

  constructor(
    private config: AnalysisConfig,
    backends: readonly AnalysisBackend[],
    private readonly store: VerdictStore,
    private readonly events: EventLog,
    private readonly followUp?: AnalysisFollowUp,
    private readonly log?: Logger,
  ) {
    this.analyses = new PartAnalyses({ backends, block: config.block }, store, log);
  }

  /** Hot reload: holds that start from now on use these settings and backends. */
  reconfigure(config: AnalysisConfig, backends: readonly AnalysisBackend[]): void {
    this.config = config;
    this.analyses.reconfigure({ backends, block: config.block });
  }

  async hold<R>(request: HoldRequest<R>): Promise<HoldResult<R>> {
    const { context, submissions } = request;
    const config = this.config;
    const backends = this.analyses.backendNames;
    const parts = submissions.map(({ name, sha256 }) => ({ name, sha256 }));
    const held = this.holds.open(
      {
        ...request.origin,
        protocol: context.protocol,
        ...(context.session !== undefined ? { session: context.session } : {}),
        ...(context.protocol === 'pop3' && context.seq !== undefined ? { messageNumber: context.seq } : {}),
        parts,
        backends,
      },
      config.maxWaitSeconds * 1000,
    );
    const outcomes = Promise.all(submissions.map((part) => this.analyses.analyse(part.sha256, part.content, part.name)));
    void outcomes.then(() => held.end({ kind: 'answered' }));
    const timer = setTimeout(() => held.end({ kind: 'timeout' }), config.maxWaitSeconds * 1000);
    const active: ActiveHold = { held, stageOne: request.stageOne.result };
    const timeoutKnown = submissions.map((part): KnownPart => ({ sha256: part.sha256, verdict: 'malicious', backend: backends[0] ?? 'timeout', name: TIMEOUT_NAME }));
    if (config.onTimeout === 'block' && context.protocol === 'pop3') {
      // POP3's client cannot wait: the cleaned message must be at hand when scanner.timedOut asks.
      void request.reevaluate(timeoutKnown).then(
        (delivery) => (active.prepared = delivery),
        (error: Error) => this.log?.warn({ reason: error.message }, 'the message for analysis.onTimeout=block could not be prepared'),
      );
    }
    this.active.set(request.body, active);
    const end = await held.ended;
    clearTimeout(timer);
    this.active.delete(request.body);
    const analysis = (outcome: ScanAnalysis['outcome'], extra: Partial<ScanAnalysis> = {}): ScanAnalysis => ({
      outcome,
      backends,
      parts,
      waitedMs: Date.now() - held.since,
      ...extra,
    });
    switch (end.kind) {
      case 'answered':
        return this.answered(request, await outcomes, analysis);
      case 'blocked': {
        const known = submissions.map((part): KnownPart => ({ sha256: part.sha256, verdict: 'malicious', backend: 'manual', name: MANUAL_NAME }));
        for (const part of submissions) {
          this.store.put({ sha256: part.sha256, verdict: 'malicious', backend: 'manual', name: MANUAL_NAME, decidedAt: Date.now(), source: 'manual', size: part.content.length });
        }
        return { ...(await request.reevaluate(known)), analysis: analysis('blocked-manually'), note: 'blocked by `holds block` while held for analysis' };
      }
      case 'timeout':
      case 'released':
        this.continueAfterRelease(request, outcomes, backends);
        return this.released(request, end, active, timeoutKnown, analysis);
    }
  }

  /** Stops the analyses still running (late verdicts of released messages included). */
  close(): Promise<void> {
    this.closed = true;
    return this.analyses.close();
  }

  /**
   * POP3: the client cannot wait any more; the hold ends as at the maximum wait. Undefined when the body
   * is not held for stage 2, or its onTimeout=block result is not ready yet: scan.onError decides then.
   */
  timedOut(body: object): BodyScanResult | undefined {
    const active = this.active.get(body);
    if (!active?.held.open) return undefined;
    const result = this.config.onTimeout === 'deliver' ? active.stageOne : active.prepared?.result;
    if (result) active.settledByClient = true;
    else active.settledByPolicy = true;
    active.held.end({ kind: 'timeout' });
    return result;
  }

  private async answered<R>(request: HoldRequest<R>, outcomes: PartOutcome[], analysis: (outcome: ScanAnalysis['outcome'], extra?: Partial<ScanAnalysis>) => ScanAnalysis): Promise<HoldResult<R>> {
    const blocking = outcomes.filter((outcome) => outcome.blocking && outcome.decisive);
    const verdicts = outcomes.map(describeOutcome).join('; ');
    if (blocking.length > 0) {
      const known = blocking.map((outcome): KnownPart => ({
        sha256: outcome.sha256,
        verdict: outcome.verdict as KnownPart['verdict'],
        backend: outcome.decisive!.backend,
        ...(outcome.decisive!.name ? { name: outcome.decisive!.name } : {}),
      }));
      return { ...(await request.reevaluate(known)), analysis: analysis('blocked', { verdicts }) };
    }
    const failed = outcomes.flatMap((outcome) => outcome.errors.map((error) => `${analysisEngine(error.backend)}: ${error.detail ?? 'no verdict'}`));
    if (failed.length > 0) return { ...request.stageOne, analysis: analysis('error', { verdicts }), failed: `stage-2 analysis failed (${failed.join('; ')})` };
    return { ...request.stageOne, analysis: analysis('clean', { verdicts }) };
  }

  private async released<R>(
    request: HoldRequest<R>,
    end: HoldEnd,
    active: ActiveHold,
    timeoutKnown: KnownPart[],
    analysis: (outcome: ScanAnalysis['outcome']) => ScanAnalysis,
  ): Promise<HoldResult<R>> {
    const settledByClient = active.settledByClient === true;
    const settledByPolicy = active.settledByPolicy === true;
    if (settledByPolicy) return { ...request.stageOne, settledByPolicy, analysis: analysis('timeout') };
    if (end.kind === 'released') {
      return { ...request.stageOne, analysis: analysis('released'), note: 'released by `holds release`; analysis goes on' };
    }
    const waited = `${this.config.maxWaitSeconds} s`;
    if (this.config.onTimeout === 'block') {
      const delivery = active.prepared ? (active.prepared as Delivery<R>) : await request.reevaluate(timeoutKnown);
      return { ...delivery, settledByClient, analysis: analysis('timeout'), note: `no verdict within ${waited}: parts held for analysis removed (analysis.onTimeout=block); analysis goes on` };
    }
    const changed = request.stageOne.result.changed;
    return {
      ...request.stageOne,
      settledByClient,
      analysis: analysis('timeout'),
      note: `no verdict within ${waited}: delivered unanalysed (analysis.onTimeout=deliver); analysis goes on`,
      ...(changed ? {} : { decorationDropped: { dropped: ['X-InboxGuard: analysis-pending'], reason: UNCHANGED_REASON } }),
    };
  }

  /** The message went out before its verdicts: report it, and each verdict when it lands. */
  private continueAfterRelease<R>(request: HoldRequest<R>, outcomes: Promise<PartOutcome[]>, backends: string[]): void {
    const { context, origin, submissions } = request;
    const pending = submissions.map((part) => part.sha256);
    try {
      this.followUp?.released({ ...origin, protocol: context.protocol, ...(context.uidl !== undefined ? { uidl: context.uidl } : {}) }, pending);
    } catch (error) {
      this.log?.error({ reason: (error as Error).message }, 'analysis follow-up failed on a released message');
    }
    void outcomes.then((landed) => {
      if (this.closed) return;
      for (const outcome of landed) {
        try {
          this.lateVerdict(origin, submissions.find((part) => part.sha256 === outcome.sha256)!, outcome, backends);
        } catch (error) {
          this.log?.error({ sha256: outcome.sha256, reason: (error as Error).message }, 'a late verdict could not be recorded');
        }
      }
    });
  }

  private lateVerdict(origin: MessageOrigin, part: Submission, outcome: PartOutcome, backends: string[]): void {
    const decisive = outcome.decisive;
    const verdicts = describeOutcome(outcome);
    this.events.append({
      ...origin,
      verdict: 'late-verdict',
      detections: decisive && outcome.blocking
        ? [{ engine: analysisEngine(decisive.backend), name: decisive.name ?? 'Analysis.Malicious', kind: 'signature', location: [part.name] }]
        : [],
      actions: outcome.blocking ? ['blocked-from-now-on'] : [],
      bytes: part.content.length,
      scanMs: 0,
      analysis: { outcome: outcome.verdict ? 'late' : 'error', backends, parts: [{ name: part.name, sha256: part.sha256 }], verdicts },
      note: outcome.verdict ? `late verdict for ${part.name}: ${verdicts}` : `analysis of ${part.name} ended without a verdict: ${verdicts}`,
    });
    if (!decisive || !outcome.verdict) return;
    try {
      this.followUp?.lateVerdict({
        sha256: outcome.sha256,
        verdict: outcome.verdict,
        ...(decisive.name ? { name: decisive.name } : {}),
        backend: analysisEngine(decisive.backend),
        blocking: outcome.blocking,
      });
    } catch (error) {
      this.log?.error({ reason: (error as Error).message }, 'analysis follow-up failed on a late verdict');
    }
  }
}

function describeOutcome(outcome: PartOutcome): string {
  return outcome.results
    .map((result) => `${analysisEngine(result.backend)}=${result.verdict}${result.name ? ` (${result.name})` : ''}${result.verdict === 'error' && result.detail ? ` (${result.detail})` : ''}`)
    .join(', ');
}
