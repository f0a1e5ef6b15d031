import type { Logger } from 'pino';
import type { BodyContext } from '../types/body-context.js';
import type { EventLog } from '../store/events.js';
import type { MessageOrigin } from '../types/message-origin.js';
import type { Quarantine, QuarantineRecord } from '../store/quarantine.js';
import type { RuleHitStore } from '../store/rule-hits.js';
import type { Rewritten } from './apply-decision.js';
import type { BodyScanner, BodyScanResult, SpilledFile, SpooledBody } from './body-scanner.js';
import { ScanTimeoutError, withDeadline } from './deadline.js';
import { renderBlocked, type EvaluateOptions, type Evaluation, type Evaluator, type Headline, type Submission, type RuleApplication, type RuleTrace } from './evaluate.js';
import type { MessageInspection } from './message-inspection.js';
import { actionNames, type Decision, type PolicySettings } from './policy.js';
import { originalIsAsFetched, originalIsWhole, originalMessage } from './section-context.js';
import { Semaphore } from './semaphore.js';
import { watchSession, type SessionWatch } from './watch-session.js';
import type { EngineName, Verdict } from '../types/verdict.js';
import type { ScanAnalysis } from '../store/events.js';
import type { KnownPart } from './analysis/known-parts.js';
import type { StageTwo } from './analysis/stage-two.js';

/** An Evaluator that can be told to give up (the worker pool terminates the worker running it). */
export type CancellableEvaluator = Evaluator;

/** Evaluates a spilled body in a scan worker that reads the spool file itself. */
export type SpilledEvaluator = (file: SpilledFile, context: BodyContext, options?: EvaluateOptions) => Promise<Evaluation>;

/** A body to evaluate: its bytes, or a spilled body's file and a way to read it here when the bytes are needed (quarantine). */
type ScanInput = Buffer | { file: SpilledFile; read(): Promise<Buffer> };

export interface PipelineOptions {
  /** The CPU side of a scan: in this thread, or in worker threads. */
  evaluate: Evaluator | CancellableEvaluator;
  /** Spilled bodies go to the worker as their spool file (without stage 2, which keeps the bytes for a second evaluation). */
  evaluateSpilled?: SpilledEvaluator;
  /** The deadline of one message, waiting for a scan slot included: scan.timeoutSeconds, plus analysis.maxWaitSeconds with stage 2. */
  timeoutSeconds: number;
  engineNames: readonly EngineName[];
  policy: PolicySettings;
  quarantine: Quarantine;
  events: EventLog;
  /** Where the hit counters of the rules go (the proxy's: rules.transport). */
  ruleHits?: { store: RuleHitStore; layer: string };
  log?: Logger;
  /** Messages scanned at the same time; each holds its body in memory while scanned. */
  maxConcurrentScans: number;
  /** Stage-2 analysis; absent: none (no backends configured). */
  stageTwo?: StageTwo;
  /** Starts a scan worker when none is running (ScanWorkerPool.prewarm); absent when scans run in this thread. */
  prewarm?: () => void;
}

/** Everything one scan found and did; the protocol engine hears only its size and whether it changed (protocol/engine.ts ScanOutcome). */
export interface ScanReport {
  inspection: MessageInspection;
  decision: Decision;
  headline: Headline;
  rules: RuleApplication[];
  trace: RuleTrace;
  /** The bytes to deliver; undefined when the original goes out unchanged. */
  rewritten?: Rewritten;
  decorationDropped?: Evaluation['decorationDropped'];
  quarantined?: QuarantineRecord;
  note?: string;
  /** Parts for stage 2. */
  submissions?: Submission[];
  analysis?: ScanAnalysis;
}

/**
 * The production BodyScanner: has a body evaluated (MIME parts, engines, archives, default policy),
 * keeps the original in quarantine before anything rewritten is delivered, and logs one event per
 * decision. A failure anywhere ends in scan.onError, never in a lost message.
 */
export class ScanPipeline implements BodyScanner {
  private readonly slots: Semaphore;

  constructor(private options: PipelineOptions) {
    this.slots = new Semaphore(options.maxConcurrentScans);
  }

  /** Hot reload: scans that start from now on use these settings; running ones finish with theirs. */
  reconfigure(changes: Partial<Pick<PipelineOptions, 'evaluate' | 'engineNames' | 'policy' | 'timeoutSeconds' | 'stageTwo'>>): void {
    this.options = { ...this.options, ...changes };
  }

  /**
   * Settles by scan.timeoutSeconds at the latest: at the deadline the message is handled by
   * scan.onError (verdict timeout), its scan slot is given back and its evaluation cancelled.
   * When the body's session ends before stage 1 is done (the client vanished), the scan is cancelled
   * the same way and reports nothing (no event, nothing for scan.onError; no stage 2), unless the
   * original had already been quarantined: that entry gets its event.
   */
  async scan(body: SpooledBody, context: BodyContext): Promise<BodyScanResult> {
    const started = performance.now();
    let bytes: Buffer | undefined;
    /** The body went to a worker as its spool file: this thread reads it only when it needs the bytes. */
    let spilled: SpilledFile | undefined;
    let release: (() => void) | undefined;
    let stageOne: SessionWatch | undefined;
    const { stageTwo, evaluateSpilled } = this.options;
    try {
      return await withDeadline(this.options.timeoutSeconds, async (signal, cancel) => {
        stageOne = watchSession(body, cancel);
        let outcome: ScanReport;
        try {
          release = await this.slots.acquire(signal);
          signal.throwIfAborted();
          spilled = evaluateSpilled && !stageTwo ? await body.spilledFile?.() : undefined;
          if (!spilled) bytes = await body.readAll();
          outcome = await this.evaluateWithin(bytes ?? { file: spilled!, read: () => body.readAll() }, context, true, signal);
          stageOne.close();
          // Past the deadline: scan.onError. Past the session's end: cancelled, unless the original was
          // quarantined meanwhile (the entry gets its event).
          if (!stageOne.sessionEnded || !outcome.quarantined) signal.throwIfAborted();
        } finally {
          // A held message waits for stage 2 without keeping a scan slot from others.
          release?.();
          stageOne.close();
        }
        if (!stageTwo || bytes === undefined || !outcome.submissions?.length || stageOne.sessionEnded) {
          this.record(body.size, context, outcome, started);
          // Nothing delivered or kept refers to the bytes: a rewrite lies elsewhere, the quarantine's copy is durable
          // (evaluateWithin awaited it), no stage 2. Kept, a pooled body would leave the pool at every infected fetch.
          if (bytes && bytes.buffer !== outcome.rewritten?.bytes.buffer && !outcome.submissions?.length) body.doneWith?.(bytes);
          const result = deliveryOf(outcome);
          if (settledClean(outcome)) result.clean = true;
          return result;
        }
        return this.holdForAnalysis(stageTwo, body, bytes, context, outcome, started, signal);
      });
    } catch (error) {
      if (stageOne?.sessionEnded) return this.cancelled(context, error);
      // What the scan had in hand when it failed (a spilled body is read for scan.onError=block's notice).
      const original = bytes ?? (spilled ? await body.readAll().catch(() => undefined) : undefined);
      if (error instanceof ScanTimeoutError) {
        // An evaluation that ignores the signal (this thread) must not keep the slot from later messages.
        release?.();
        return this.failed(original ?? body.inMemory(), context, 'timeout', error.message, started);
      }
      return this.failed(original, context, 'error', `scan failed: ${(error as Error).message}`, started);
    }
  }

  prewarm(): void {
    this.options.prewarm?.();
  }

  async wholeOriginal(quarantineId: string, original: Buffer): Promise<void> {
    const record = await this.options.quarantine.completeWhole(quarantineId, original);
    this.options.log?.info({ quarantineId, size: record.size, mailbox: record.mailbox, uid: record.uid }, 'quarantine entry completed with the whole message');
  }

  private async holdForAnalysis(
    stageTwo: StageTwo,
    body: SpooledBody,
    bytes: Buffer,
    context: BodyContext,
    stageOne: ScanReport,
    started: number,
    signal: AbortSignal,
  ): Promise<BodyScanResult> {
    const held = await stageTwo.hold<ScanReport>({
      context,
      body,
      origin: { ...where(context), messageId: stageOne.headline.messageId, subject: stageOne.headline.subject },
      submissions: stageOne.submissions ?? [],
      stageOne: { report: stageOne, result: deliveryOf(stageOne) },
      reevaluate: async (known) => {
        const report = await this.evaluateWithin(bytes, context, true, signal, known);
        return { report, result: deliveryOf(report) };
      },
    });
    if (held.failed) {
      if (this.options.policy.onError === 'block') return this.failed(bytes, context, 'error', held.failed, started, held.analysis);
      const note = `${held.failed}; delivered as stage 1 left it (scan.onError=pass)`;
      this.record(bytes.length, context, { ...held.report, note, analysis: held.analysis }, started);
      return held.result;
    }
    // scan.onError settled it (scanner.timedOut) and wrote its event; what is returned here is ignored.
    if (held.settledByPolicy) return held.result;
    if (!held.settledByClient) {
      const note = [held.report.note, held.note].filter(Boolean).join('; ') || undefined;
      const decorationDropped = held.decorationDropped ? mergeDropped(held.report.decorationDropped, held.decorationDropped) : held.report.decorationDropped;
      this.record(bytes.length, context, { ...held.report, note, analysis: held.analysis, decorationDropped }, started);
    } else {
      this.record(bytes.length, context, { ...held.report, note: `${held.note}; settled when the client could wait no longer`, analysis: held.analysis }, started);
    }
    return held.result;
  }

  /**
   * For callers that act on the outcome themselves (the mailbox scan): like scan(), with the same
   * deadline, slots, quarantine and event, but hands back the whole report; a failed or timed-out scan
   * is logged as such and rejects, so nothing is done to the message.
   */
  async report(bytes: Buffer, context: BodyContext): Promise<ScanReport> {
    const started = performance.now();
    let release: (() => void) | undefined;
    try {
      const outcome = await withDeadline(this.options.timeoutSeconds, async (signal) => {
        release = await this.slots.acquire(signal);
        try {
          return await this.evaluateWithin(bytes, context, true, signal);
        } finally {
          release();
        }
      });
      this.record(bytes.length, context, outcome, started);
      return outcome;
    } catch (error) {
      if (error instanceof ScanTimeoutError) release?.();
      const verdict = error instanceof ScanTimeoutError ? 'timeout' : 'error';
      this.options.events.append({ ...where(context), verdict, detections: [], actions: [], bytes: bytes.length, scanMs: Math.round(performance.now() - started), note: (error as Error).message });
      throw error;
    }
  }

  /** Nobody will receive the result: the session ended mid-scan. Not a scan failure, so no event and no scan.onError. */
  private cancelled(context: BodyContext, error: unknown): BodyScanResult {
    this.options.log?.info({ mailbox: context.mailbox, uid: context.uid, section: context.section, reason: (error as Error).message }, 'scan cancelled: the session that fetched the message ended');
    return { changed: false };
  }

  lost(context: BodyContext, reason: string): void {
    this.options.events.append({ ...where(context), verdict: 'error', detections: [], actions: ['not-delivered'], bytes: 0, scanMs: 0, note: reason });
  }

  timedOut(body: SpooledBody, context: BodyContext): BodyScanResult {
    // Stage 1 is done and only stage 2 is pending: analysis.onTimeout decides (the hold writes the event).
    const held = this.options.stageTwo?.timedOut(body);
    if (held) return held;
    return this.failed(body.inMemory(), context, 'timeout', 'the scan took longer than the client can wait', performance.now());
  }

  /**
   * Evaluates; with `act` it also keeps the original in quarantine when a rule asks for it or the
   * message changes, and counts the rules' hits. Without `act` (dry runs) nothing is written anywhere.
   */
  evaluate(bytes: Buffer, context: BodyContext, act: boolean): Promise<ScanReport> {
    return withDeadline(this.options.timeoutSeconds, (signal) => this.evaluateWithin(bytes, context, act, signal));
  }

  /** `known`: parts already decided (stage 2), for a second evaluation of a held message; its rule hits are not counted again. */
  private async evaluateWithin(input: ScanInput, context: BodyContext, act: boolean, signal: AbortSignal, known?: readonly KnownPart[]): Promise<ScanReport> {
    const options = { signal, ...(known ? { known } : {}) };
    const evaluation = Buffer.isBuffer(input) ? await this.options.evaluate(input, context, options) : await this.options.evaluateSpilled!(input.file, context, options);
    signal.throwIfAborted();
    const { inspection, decision, rewritten, decorationDropped, headline, rules, trace, submissions } = evaluation;
    const outcome: ScanReport = { inspection, decision, rewritten, decorationDropped, headline, rules, trace, ...(known ? {} : { submissions }) };
    if (!act) return outcome;
    if (!known) this.countHits(evaluation);
    if (!evaluation.quarantineId) return outcome;
    // A spilled original is copied from its spool file by the kernel, not read into this thread.
    const spilled = Buffer.isBuffer(input) || !originalIsAsFetched(context) ? undefined : input;
    const read = Buffer.isBuffer(input) ? input : spilled ? undefined : await input.read();
    try {
      const { record, durable } = read
        ? this.options.quarantine.begin(originalMessage(read, context), origin(context, evaluation), new Date(), evaluation.sha256)
        : this.options.quarantine.beginFromFile(spilled!.file, origin(context, evaluation), new Date(), evaluation.sha256);
      await durable;
      return { ...outcome, quarantined: record };
    } catch (error) {
      const bytes = read ?? (await spilled!.read());
      const note = `quarantine write failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
      // Delivered as it is anyway: only the copy a quarantine rule asked for is missing.
      if (decision.action === 'deliver') return { ...outcome, note };
      // Never rewrite blind: without a kept original, scan.onError decides.
      const handled = `${note}; handled by scan.onError=${this.options.policy.onError}`;
      if (this.options.policy.onError === 'pass') return { ...outcome, decision: { ...decision, action: 'deliver', mark: false }, rewritten: undefined, note: handled };
      const blocked = renderBlocked(bytes, context, 'it could not be kept safely', inspection.verdict, this.options.engineNames, this.options.policy);
      return { ...outcome, rewritten: { bytes: blocked, sizePreserved: blocked.length === bytes.length }, note: handled };
    }
  }

  private countHits(evaluation: Evaluation): void {
    const { ruleHits } = this.options;
    if (!ruleHits || evaluation.hits.length === 0) return;
    try {
      ruleHits.store.record(ruleHits.layer, evaluation.hits);
    } catch (error) {
      // A counter that cannot be written must not cost the message; the event still names the rules.
      this.options.log?.warn({ reason: (error as Error).message }, 'rule hit counters could not be written');
    }
  }

  /**
   * One event per scanned message, built in one fixed shape: spreading the origin into it made a
   * dictionary-mode object that cost more than writing the line. Fields left undefined are not written
   * (JSON), so the line is the same as where() spread would give.
   */
  private record(size: number, context: BodyContext, outcome: ScanReport, started: number): void {
    this.options.events.append({
      listener: context.listener,
      upstream: context.upstream,
      user: context.user,
      mailbox: context.mailbox,
      uidValidity: context.uidValidity,
      uid: context.uid,
      uidl: context.uidl,
      section: context.section,
      layer: context.layer ? context.layer : undefined,
      messageId: outcome.headline.messageId,
      subject: outcome.headline.subject,
      verdict: outcome.decision.scanSkippedBy ? 'not-scanned' : outcome.inspection.verdict,
      detections: outcome.inspection.findings,
      actions: actionNames(outcome.decision),
      rules: outcome.rules.length > 0 ? outcome.rules : undefined,
      bytes: size,
      scanMs: Math.round(performance.now() - started),
      quarantineId: outcome.quarantined?.id,
      sizePreserved: outcome.rewritten?.sizePreserved,
      decorationDropped: outcome.decorationDropped,
      analysis: outcome.analysis,
      note: outcome.note ?? (outcome.inspection.errors.length > 0 ? outcome.inspection.errors.join('; ') : undefined),
    });
  }

  private failed(bytes: Buffer | undefined, context: BodyContext, verdict: Verdict, note: string, started: number, analysis?: ScanAnalysis): BodyScanResult {
    const block = this.options.policy.onError === 'block';
    this.options.events.append({
      ...where(context),
      verdict,
      detections: [],
      actions: [block ? 'block' : 'deliver-unscanned'],
      bytes: bytes?.length ?? 0,
      scanMs: Math.round(performance.now() - started),
      analysis,
      note,
    });
    if (!block) return { changed: false };
    const reason = verdict === 'timeout' ? 'its scan took too long' : 'it could not be scanned';
    const original = bytes ?? Buffer.from('Subject: (withheld by inboxguard)\r\n\r\n');
    return { changed: true, content: renderBlocked(original, context, reason, verdict, this.options.engineNames, this.options.policy) };
  }
}

/**
 * Nothing about this scan could come out differently for the same bytes until a verdict or the
 * settings change: clean, delivered as it is, no finding, error or note, no rule applied (a rule's
 * hit is counted and logged per scan), no marking left out, nothing kept in quarantine or held for stage 2.
 */
function settledClean(outcome: ScanReport): boolean {
  const { inspection, decision } = outcome;
  return (
    inspection.verdict === 'clean' &&
    inspection.findings.length === 0 &&
    inspection.errors.length === 0 &&
    outcome.rules.length === 0 &&
    decision.action === 'deliver' &&
    !decision.keepCopy &&
    decision.scanSkippedBy === undefined &&
    outcome.rewritten === undefined &&
    outcome.decorationDropped === undefined &&
    outcome.quarantined === undefined &&
    outcome.note === undefined &&
    outcome.analysis === undefined &&
    !outcome.submissions?.length
  );
}

function deliveryOf(outcome: ScanReport): BodyScanResult {
  const result: BodyScanResult = outcome.rewritten ? { changed: true, content: outcome.rewritten.bytes } : { changed: false };
  // The quarantine kept only the part the client fetched: the session may read the whole message for it.
  if (outcome.quarantined?.partOnly) result.partOnlyQuarantineId = outcome.quarantined.id;
  return result;
}

function mergeDropped(
  stageOne: ScanReport['decorationDropped'],
  added: { dropped: string[]; reason: string },
): NonNullable<ScanReport['decorationDropped']> {
  return stageOne ? { ...stageOne, dropped: [...stageOne.dropped, ...added.dropped] } : added;
}

function where(context: BodyContext): MessageOrigin {
  const { listener, upstream, user, mailbox, uidValidity, uid, uidl, section, layer } = context;
  return { listener, upstream, user, mailbox, uidValidity, uid, ...(uidl !== undefined ? { uidl } : {}), section, ...(layer ? { layer } : {}) };
}

function origin(context: BodyContext, evaluation: Evaluation) {
  return {
    ...where(context),
    messageId: evaluation.headline.messageId,
    subject: evaluation.headline.subject,
    verdict: evaluation.inspection.verdict,
    detections: evaluation.inspection.findings,
    action: evaluation.decision.action === 'deliver' && evaluation.decision.keepCopy ? 'quarantine' : evaluation.decision.action,
    // A part fetched alone by UID in a known mailbox: the session can read the whole message later.
    ...(!originalIsWhole(context) && context.protocol === 'imap' && context.uid !== undefined ? { partOnly: true } : {}),
  };
}
