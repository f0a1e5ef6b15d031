import { readEnvelope } from '../mime/index.js';
import type { BodyContext } from '../protocol/engine.js';
import type { EventLog } from '../store/events.js';
import type { MessageOrigin } from '../store/message-origin.js';
import type { Quarantine, QuarantineRecord } from '../store/quarantine.js';
import { applyDecision, markMessage, type Marking, type Rewritten } from './apply-decision.js';
import type { BodyScanner, BodyScanResult, SpooledBody } from './body-scanner.js';
import { shapeOf, type BodyShape } from './body-shape.js';
import type { FileInspector } from './inspect-file.js';
import { inspectMessage, type MessageInspection } from './inspect-message.js';
import { actionNames, decide, type Decision, type PolicySettings } from './policy.js';
import { Semaphore } from './semaphore.js';
import type { Verdict } from './types.js';

export const INBOXGUARD_VERSION = '0.1.0';

export interface PipelineOptions {
  inspector: FileInspector;
  policy: PolicySettings;
  quarantine: Quarantine;
  events: EventLog;
  /** Messages scanned at the same time; each holds its body in memory while scanned. */
  maxConcurrentScans: number;
}

export interface ScanOutcome {
  inspection: MessageInspection;
  decision: Decision;
  /** The bytes to deliver; undefined when the original goes out unchanged. */
  rewritten?: Rewritten;
  quarantined?: QuarantineRecord;
  note?: string;
}

/**
 * The production BodyScanner: walks MIME parts, runs the engines (and archives), applies the default
 * policy, keeps the original in quarantine before anything rewritten is delivered, and logs one
 * event per decision. A failure anywhere ends in scan.onError, never in a lost message.
 */
export class ScanPipeline implements BodyScanner {
  private readonly slots: Semaphore;

  constructor(private readonly options: PipelineOptions) {
    this.slots = new Semaphore(options.maxConcurrentScans);
  }

  async scan(body: SpooledBody, context: BodyContext): Promise<BodyScanResult> {
    const release = await this.slots.acquire();
    const started = performance.now();
    let bytes: Buffer | undefined;
    try {
      bytes = await body.readAll();
      const outcome = await this.evaluate(bytes, context, true);
      await this.record(bytes, context, outcome, started);
      return outcome.rewritten ? { changed: true, content: outcome.rewritten.bytes } : { changed: false };
    } catch (error) {
      return this.failed(bytes, context, 'error', `scan failed: ${(error as Error).message}`, started);
    } finally {
      release();
    }
  }

  timedOut(body: SpooledBody, context: BodyContext): BodyScanResult {
    return this.failed(body.inMemory(), context, 'timeout', 'the scan took longer than the client can wait', performance.now());
  }

  /** Inspects and decides; with `act` it also quarantines and rewrites. Exposed for `inboxguard scan`. */
  async evaluate(bytes: Buffer, context: BodyContext, act: boolean): Promise<ScanOutcome> {
    const shape = shapeOf(bytes, context);
    const inspection = await inspectMessage(shape, context, this.options.inspector);
    const decision = decide(inspection, this.options.policy);
    const marking = this.marking(inspection.verdict, decision);
    if (decision.action === 'deliver') {
      if (!decision.mark || !shape.canMark) return { inspection, decision };
      const marked = markMessage(bytes, marking, false);
      return { inspection, decision, rewritten: { bytes: marked, sizePreserved: false } };
    }
    const detections = inspection.findings.map((finding) => finding.name);
    if (!act) return { inspection, decision, rewritten: applyDecision(bytes, shape, decision, marking, undefined, detections) };
    const origin = await this.quarantineInput(bytes, shape, context, inspection, decision);
    try {
      // The rewrite (CPU) runs while the original is written and fsynced (thread pool); nothing rewritten
      // leaves before the original is durable.
      const { record, durable } = this.options.quarantine.begin(bytes, origin);
      const rewritten = applyDecision(bytes, shape, decision, marking, record.id, detections);
      await durable;
      return { inspection, decision, quarantined: record, rewritten };
    } catch (error) {
      // Never rewrite blind: without a kept original, scan.onError decides.
      const note = `quarantine write failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); handled by scan.onError=${this.options.policy.onError}`;
      if (this.options.policy.onError === 'pass') return { inspection, decision: { action: 'deliver', mark: false }, note };
      return { inspection, decision, rewritten: applyDecision(bytes, shape, { action: 'block', reason: 'it could not be kept safely' }, marking, undefined, detections), note };
    }
  }

  private marking(verdict: Verdict, decision: Decision): Marking {
    const engines = this.options.inspector.engines.map((engine) => engine.name).join(',');
    const action = decision.action === 'deliver' ? '' : `; action=${decision.action}`;
    return { header: `${verdict}; engine=${engines}; version=${INBOXGUARD_VERSION}${action}`, subjectTag: this.options.policy.subjectTag };
  }

  private async quarantineInput(bytes: Buffer, shape: BodyShape, context: BodyContext, inspection: MessageInspection, decision: Decision) {
    const envelope = shape.kind === 'message' ? await readEnvelope(bytes).catch(() => undefined) : undefined;
    return {
      ...this.where(context),
      messageId: envelope?.messageId,
      subject: envelope?.subject,
      verdict: inspection.verdict,
      detections: inspection.findings,
      action: decision.action,
    };
  }

  private async record(bytes: Buffer, context: BodyContext, outcome: ScanOutcome, started: number): Promise<void> {
    const hasHeader = !context.isPart && !/TEXT\]?$/.test(context.section);
    const envelope = outcome.quarantined ?? (hasHeader ? await readEnvelope(bytes).catch(() => undefined) : undefined);
    this.options.events.append({
      ...this.where(context),
      messageId: envelope?.messageId,
      subject: envelope?.subject,
      verdict: outcome.inspection.verdict,
      detections: outcome.inspection.findings,
      actions: actionNames(outcome.decision),
      bytes: bytes.length,
      scanMs: Math.round(performance.now() - started),
      quarantineId: outcome.quarantined?.id,
      sizePreserved: outcome.rewritten?.sizePreserved,
      note: outcome.note ?? (outcome.inspection.errors.length > 0 ? outcome.inspection.errors.join('; ') : undefined),
    });
  }

  private failed(bytes: Buffer | undefined, context: BodyContext, verdict: Verdict, note: string, started: number): BodyScanResult {
    const block = this.options.policy.onError === 'block';
    this.options.events.append({
      ...this.where(context),
      verdict,
      detections: [],
      actions: [block ? 'block' : 'deliver-unscanned'],
      bytes: bytes?.length ?? 0,
      scanMs: Math.round(performance.now() - started),
      note,
    });
    if (!block) return { changed: false };
    const reason = verdict === 'timeout' ? 'its scan took too long' : 'it could not be scanned';
    const original = bytes ?? Buffer.from('Subject: (withheld by inboxguard)\r\n\r\n');
    const shape = shapeOf(original, context);
    const rewritten = applyDecision(original, shape, { action: 'block', reason }, this.marking(verdict, { action: 'block', reason }), undefined, []);
    return { changed: true, content: rewritten.bytes };
  }

  private where(context: BodyContext): MessageOrigin {
    return { listener: context.listener, upstream: context.upstream, user: context.user, mailbox: context.mailbox, uid: context.uid, section: context.section };
  }
}
