import { readEnvelope, type MessageEnvelope } from '../mime/index.js';
import type { BodyContext } from '../types/body-context.js';
import { evaluateLevel, type LevelOutcome, type Rule, type TraceEntry } from '../rules/index.js';
import type { RuleHit } from '../store/rule-hits.js';
import { quarantineIdFor } from '../store/quarantine-id.js';
import { applyDecision, decorationsOf, marksAnything, type DecorationDropped, type Marking, type Rewritten } from './apply-decision.js';
import { isWholeMessage, shapeOf, type BodyShape } from './body-shape.js';
import { envelopeBytes, sha256Of, wholeOf, type EvaluationInput } from './message-input.js';
import { filteringFacts, resultFacts } from './build-facts.js';
import type { FileInspector } from './inspect-file.js';
import { inspectMessage } from './inspect-message.js';
import type { MessageInspection } from './message-inspection.js';
import { messageHeaderOf, originalMessage } from './section-context.js';
import { decide, type Decision, type PolicySettings } from './policy.js';
import type { Verdict } from '../types/verdict.js';
import { INBOXGUARD_VERSION } from '../version.js';
import type { KnownPart, KnownVerdicts } from './analysis/known-parts.js';
import { submissionReason } from './analysis/submission.js';
import { digestOf } from './content-digest.js';

const MARK_ONLY_REASON = 'a message delivered unchanged keeps its size, which the client may already know; the event records the marking instead';

/** A rule that applied, for events and counters; attachment rules name the part. */
export interface RuleApplication {
  id: string;
  name: string;
  level: Rule['level'];
  actions: string[];
  part?: string;
}

/** Every rule in evaluation order with what became of it; what `inboxguard rules test` prints. */
export interface RuleTrace {
  filtering: TraceEntry[];
  attachments: { part: string; fileName?: string; scanned: boolean; trace: TraceEntry[] }[];
  result: TraceEntry[];
}

/** Everything the CPU side of a scan produces; plain data, so it can cross a worker boundary. */
export type Evaluation = EvaluationCore & KeptOriginal;

/**
 * Set when the original must be kept in quarantine (before delivery, when the rewrite names it): its
 * id and the original's SHA-256, hashed only then.
 */
type KeptOriginal = { quarantineId: string; sha256: string } | { quarantineId?: undefined; sha256?: undefined };

interface EvaluationCore {
  inspection: MessageInspection;
  decision: Decision;
  /** The bytes to deliver; absent when the original goes out unchanged. */
  rewritten?: Rewritten;
  /** Decoration the rules or the settings asked for that the delivery lacks, for the event. */
  decorationDropped?: DecorationDropped;
  /** From the top-level header (whole messages, or a section whose message header the engine fetched along), for events and the quarantine index. */
  headline: Headline;
  rules: RuleApplication[];
  /** Hits to count, per rule: attachment rules once per part. */
  hits: RuleHit[];
  trace: RuleTrace;
  /** Parts the submission policy sends to stage 2 (only when analysis backends are configured). */
  submissions?: Submission[];
}

/** A decoded part for stage 2. */
export interface Submission {
  path: string;
  /** File name, or "part PATH". */
  name: string;
  sha256: string;
  /** Why: 'suspicious' or 'type:NAME'. */
  reason: string;
  /** The decoded part (on shared memory when it comes from a worker). */
  content: Buffer;
}

/** Per evaluation: a deadline to give up by, and decisions about parts the pipeline already has. */
export interface EvaluateOptions {
  signal?: AbortSignal;
  known?: readonly KnownPart[];
}

export interface Headline {
  messageId?: string;
  subject?: string;
}

export type Evaluator = (bytes: Buffer, context: BodyContext, options?: EvaluateOptions) => Promise<Evaluation>;
/** An Evaluator that also takes a whole message as a source (a spilled body in a scan worker), read in slices. */
export type SourceEvaluator = (input: EvaluationInput, context: BodyContext, options?: EvaluateOptions) => Promise<Evaluation>;

/**
 * Runs the three rule levels and the engines, decides and renders, in this thread. The proxy runs it in
 * worker threads. `allocate`: where a rewritten whole message is written (in a worker, memory that moves to the proxy's thread with the reply).
 */
export function createEvaluator(inspector: FileInspector, policy: PolicySettings, verdicts?: KnownVerdicts, allocate?: (length: number) => Buffer): SourceEvaluator {
  const engineNames = inspector.engines.map((engine) => engine.name);
  return async (input, context, options = {}) => {
    // Only a whole message is evaluated from a source; any other shape is read whole first.
    const body = isWholeMessage(context) ? input : wholeOf(input);
    const shape = shapeOf(body, context);
    const identity = shape.kind === 'message' ? envelopeBytes(body) : messageHeaderOf(context);
    const envelope = identity ? await readEnvelope(identity).catch(() => undefined) : undefined;
    const headline: Headline = { messageId: envelope?.messageId, subject: envelope?.subject };
    const filtering = evaluateLevel(policy.rules, 'filtering', filteringFactsOf(envelope, body.length, shape, context));
    const scanSkipped = filtering.applied.some((rule) => rule.actions.some((action) => action.type === 'skip-scan'));
    const inspection: MessageInspection = scanSkipped
      ? { verdict: 'clean', parts: [], findings: [], errors: [] }
      : await inspectMessage(shape, context, inspector, policy.rules, verdicts && { verdicts, known: new Map((options.known ?? []).map((part) => [part.sha256, part])) });
    const result = scanSkipped ? skippedLevel(policy.rules, 'result') : evaluateLevel(policy.rules, 'result', resultFacts(inspection));
    const decision = decide(inspection, { filtering, result }, policy);
    const { rules, hits } = applications(filtering, inspection, result);
    const trace: RuleTrace = {
      filtering: filtering.trace,
      attachments: inspection.parts.map((part) => ({ part: part.path, fileName: part.fileName, scanned: part.scanned, trace: part.rules.trace })),
      result: result.trace,
    };
    const submissions = verdicts?.submitting ? submissionsOf(shape, inspection, decision, verdicts) : [];
    const base = { inspection, decision, headline, rules, hits, trace, ...(submissions.length > 0 ? { submissions } : {}) };
    const marking = markingFor(engineNames, policy, inspection.verdict, decision);
    const keepsOriginal = decision.action !== 'deliver' || decision.keepCopy;
    // A section fetched on its own is kept and named as the message it belongs to (section-context.ts).
    const kept = keepsOriginal ? keptOriginal(Buffer.isBuffer(body) ? originalMessage(body, context) : body) : {};
    if (decision.action === 'deliver') {
      if (!shape.canMark || !marksAnything(marking)) return { ...base, ...kept };
      // A delivered message has no bytes to spare: any decoration would make it longer than the size the
      // client may already hold, and a client reading up to that size would lose the end of the message.
      return { ...base, ...kept, decorationDropped: { dropped: decorationsOf(marking), reason: MARK_ONLY_REASON } };
    }
    const detections = inspection.findings.map((finding) => finding.name);
    const rewritten = applyDecision(wholeOf(body), shape, decision, marking, kept.quarantineId, detections, allocate);
    return { ...base, ...kept, rewritten, decorationDropped: rewritten.decorationDropped };
  };
}

function keptOriginal(original: EvaluationInput): KeptOriginal {
  const sha256 = sha256Of(original);
  return { quarantineId: quarantineIdFor(sha256), sha256 };
}

/** Parts the submission policy selects among those the message still delivers. */
function submissionsOf(shape: BodyShape, inspection: MessageInspection, decision: Decision, verdicts: KnownVerdicts): Submission[] {
  if (decision.action === 'block' || decision.action === 'replace-message') return [];
  const removed = new Set(decision.action === 'strip' ? decision.parts.map((part) => part.path) : []);
  const submissions: Submission[] = [];
  for (const report of inspection.parts) {
    if (!report.known || !report.scanned || removed.has(report.path)) continue;
    const reason = submissionReason({ size: report.size, facts: report.facts, stageOneVerdict: report.verdict, storedVerdict: report.known.stored }, verdicts.submit);
    if (!reason) continue;
    const part = shape.walk.parts.find((candidate) => candidate.path === report.path);
    if (!part) continue;
    const content = part.decode();
    submissions.push({ path: report.path, name: report.fileName ?? `part ${report.path}`, sha256: report.known.sha256 ?? digestOf(content, 'sha256'), reason, content });
  }
  return submissions;
}

/** Header facts exist only for whole messages; a single part or BODY[TEXT] has none. */
function filteringFactsOf(envelope: MessageEnvelope | undefined, size: number, shape: BodyShape, context: BodyContext) {
  const hasAttachments = shape.walk.parts.some((part) => part.fileName !== undefined || part.disposition === 'attachment');
  const [upstreamHost] = (context.upstream ?? '').split(/:(?=\d+$)/);
  return filteringFacts(envelope ?? { from: [], to: [], cc: [], replyTo: [], headers: [] }, size, hasAttachments, {
    upstreamHost: upstreamHost.replace(/^\[|\]$/g, ''),
    listener: context.listener ?? '',
    ...(context.upstreamIp ? { upstreamIp: context.upstreamIp } : {}),
    ...(context.user ? { user: context.user } : {}),
    ...(context.application ? { application: context.application } : {}),
  });
}

function skippedLevel(rules: readonly Rule[], level: Rule['level']): LevelOutcome {
  return { applied: [], trace: rules.filter((rule) => rule.level === level).map(({ id, name }) => ({ id, name, outcome: 'skipped', reason: 'scan skipped' })) };
}

function applications(filtering: LevelOutcome, inspection: MessageInspection, result: LevelOutcome): { rules: RuleApplication[]; hits: RuleHit[] } {
  const rules: RuleApplication[] = [
    ...filtering.applied.map((rule) => application(rule, 'filtering')),
    ...inspection.parts.flatMap((part) => part.rules.applied.map((rule) => ({ ...application(rule, 'attachment'), part: part.fileName ?? `part ${part.path}` }))),
    ...result.applied.map((rule) => application(rule, 'result')),
  ];
  const counts = new Map<string, number>();
  for (const rule of rules) counts.set(rule.id, (counts.get(rule.id) ?? 0) + 1);
  return { rules, hits: [...counts].map(([ruleId, count]) => ({ ruleId, count })) };
}

function application(rule: LevelOutcome['applied'][number], level: Rule['level']): RuleApplication {
  return { id: rule.id, name: rule.name, level, actions: rule.actions.map((action) => action.type) };
}

/** A message withheld without a kept original (quarantine failed, scan failed or timed out, with onError=block). */
export function renderBlocked(bytes: Buffer, context: BodyContext, reason: string, verdict: Verdict, engineNames: readonly string[], policy: PolicySettings): Buffer {
  const decision: Decision = { action: 'block', reason, keepCopy: false, changes: { headers: [], subjectTags: [] } };
  return applyDecision(bytes, shapeOf(bytes, context), decision, markingFor(engineNames, policy, verdict, decision), undefined, []).bytes;
}

function markingFor(engineNames: readonly string[], policy: PolicySettings, verdict: Verdict, decision: Decision): Marking {
  const rulesAsked = { headers: decision.changes.headers, subjectTags: decision.changes.subjectTags };
  if (decision.scanSkippedBy) return { ...rulesAsked, header: `not-scanned; rule=${decision.scanSkippedBy.id}; version=${INBOXGUARD_VERSION}` };
  if (decision.action === 'deliver' && !decision.mark) return rulesAsked;
  const action = decision.action === 'deliver' ? '' : `; action=${decision.action}`;
  const header = `${verdict}; engine=${engineNames.join(',')}; version=${INBOXGUARD_VERSION}${action}`;
  // The configured tag marks messages whose parts were removed; rules' tags come on top.
  const subjectTags = decision.action === 'strip' && policy.subjectTag ? [policy.subjectTag, ...rulesAsked.subjectTags] : rulesAsked.subjectTags;
  return { header, subjectTags, headers: rulesAsked.headers };
}
