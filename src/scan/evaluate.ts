import { createHash } from 'node:crypto';
import type { BodyContext } from '../protocol/engine.js';
import { quarantineIdFor } from '../store/quarantine-id.js';
import { applyDecision, markMessage, type Marking, type Rewritten } from './apply-decision.js';
import { shapeOf } from './body-shape.js';
import type { FileInspector } from './inspect-file.js';
import { inspectMessage, type MessageInspection } from './inspect-message.js';
import { decide, type Decision, type PolicySettings } from './policy.js';
import type { Verdict } from './types.js';

export const INBOXGUARD_VERSION = '0.1.0';

/** Everything the CPU side of a scan produces; plain data, so it can cross a worker boundary. */
export interface Evaluation {
  inspection: MessageInspection;
  decision: Decision;
  /** The bytes to deliver; absent when the original goes out unchanged. */
  rewritten?: Rewritten;
  sha256: string;
  /** Set when the rewrite names a quarantine entry that must exist before delivery. */
  quarantineId?: string;
}

export type Evaluator = (bytes: Buffer, context: BodyContext) => Promise<Evaluation>;

/** Walks, inspects, decides and renders in this thread. The proxy runs it in worker threads. */
export function createEvaluator(inspector: FileInspector, policy: PolicySettings): Evaluator {
  return async (bytes, context) => {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const shape = shapeOf(bytes, context);
    const inspection = await inspectMessage(shape, context, inspector);
    const decision = decide(inspection, policy);
    const marking = markingFor(inspector.engines.map((engine) => engine.name), policy, inspection.verdict, decision);
    if (decision.action === 'deliver') {
      if (!decision.mark || !shape.canMark) return { inspection, decision, sha256 };
      return { inspection, decision, sha256, rewritten: { bytes: markMessage(bytes, marking, false), sizePreserved: false } };
    }
    const quarantineId = quarantineIdFor(sha256);
    const detections = inspection.findings.map((finding) => finding.name);
    return { inspection, decision, sha256, quarantineId, rewritten: applyDecision(bytes, shape, decision, marking, quarantineId, detections) };
  };
}

/** A message withheld without a kept original (quarantine failed, scan failed or timed out, with onError=block). */
export function renderBlocked(bytes: Buffer, context: BodyContext, reason: string, verdict: Verdict, engineNames: readonly string[], policy: PolicySettings): Buffer {
  const decision: Decision = { action: 'block', reason };
  return applyDecision(bytes, shapeOf(bytes, context), decision, markingFor(engineNames, policy, verdict, decision), undefined, []).bytes;
}

function markingFor(engineNames: readonly string[], policy: PolicySettings, verdict: Verdict, decision: Decision): Marking {
  const engines = engineNames.join(',');
  const action = decision.action === 'deliver' ? '' : `; action=${decision.action}`;
  return { header: `${verdict}; engine=${engines}; version=${INBOXGUARD_VERSION}${action}`, subjectTag: policy.subjectTag };
}
