import type { BodyContext } from '../types/body-context.js';
import { evaluateLevel, rulesBeforeScan, type Rule } from '../rules/index.js';
import type { BodyShape } from './body-shape.js';
import { attachmentFacts } from './build-facts.js';
import { inspectFile, type FileInspection, type FileInspector } from './inspect-file.js';
import { openStreamedPart, STREAM_PART_BYTES, type StreamedPart } from './inspect-streamed-part.js';
import type { MessageInspection, PartReport } from './message-inspection.js';
import type { Finding } from '../types/verdict.js';
import { verdictOf, worstVerdict } from './verdict.js';
import type { KnownPart, KnownVerdicts } from './analysis/known-parts.js';

export interface InspectMessageOptions {
  /** Parts estimated to decode to at least this many bytes are scanned slice by slice (inspect-streamed-part.ts). */
  streamPartBytes?: number;
  /** Sees each part that was streamed (tests count its work). */
  onStreamed?(path: string, part: StreamedPart): void;
}

/**
 * Runs the attachment rules and the engines over every part (decoded) of a fetched body. A part is
 * scanned unless a rule decided before the scan (skip-part-scan) that it should not be; the rules are
 * then evaluated with what the scan found. A large part is decoded and scanned slice by slice instead
 * of whole when nothing needs it whole, with the same report.
 */
export async function inspectMessage(
  shape: BodyShape,
  context: BodyContext,
  inspector: FileInspector,
  rules: readonly Rule[] = [],
  analysis?: { verdicts: KnownVerdicts; known: ReadonlyMap<string, KnownPart> },
  options: InspectMessageOptions = {},
): Promise<MessageInspection> {
  const parts: PartReport[] = [];
  const beforeScan = rulesBeforeScan(rules);
  // Only then is the decoded size needed before the scan (a streamed part is measured first).
  const mayBeSkipped = beforeScan.some((rule) => rule.actions.some((action) => action.type === 'skip-part-scan'));
  for (const part of shape.walk.parts) {
    const location = [part.fileName ?? `part ${part.path}`];
    const info = { fileName: part.fileName, declaredType: part.contentType, location, insideArchive: false };
    // A streamed part's size is known only at its end: it is hashed unless no size could matter.
    const hashStreamed = analysis !== undefined && analysis.verdicts.wantsSha256(undefined, analysis.known);
    const streamed = await openStreamedPart(part, info, inspector, { sha256: hashStreamed, threshold: options.streamPartBytes ?? STREAM_PART_BYTES });
    let content: Buffer | undefined;
    let scanned: FileInspection | undefined;
    if (streamed) {
      options.onStreamed?.(part.path, streamed);
      if (mayBeSkipped) await streamed.measure();
      else scanned = await streamed.scan();
    } else content = part.decode();
    const facts = streamed ? streamed.facts : inspector.facts?.(content!, info);
    const report: PartReport = {
      path: part.path,
      fileName: part.fileName,
      declaredType: part.contentType,
      size: streamed ? streamed.size! : content!.length,
      facts,
      findings: [],
      errors: [],
      verdict: 'clean',
      scanned: false,
      rules: { applied: [], trace: [] },
    };
    const standing = await analysis?.verdicts.standing(streamed ? { size: streamed.size!, sha256: streamed.sha256 } : content!, location, analysis.known);
    if (standing) report.known = { ...(standing.sha256 !== undefined ? { sha256: standing.sha256 } : {}), ...(standing.stored ? { stored: standing.stored } : {}) };
    const early = evaluateLevel(beforeScan, 'attachment', attachmentFacts(report));
    const skipScan = early.applied.some((rule) => rule.actions.some((action) => action.type === 'skip-part-scan'));
    if (!skipScan && standing?.finding) {
      // Known bad: blocked without asking the engines again (a streamed part may have asked already: not heard).
      streamed?.skip();
      Object.assign(report, { findings: [standing.finding], verdict: verdictOf([standing.finding]), scanned: true });
    } else if (!skipScan) {
      const inspected = streamed ? (scanned ?? (await streamed.scan())) : await inspectFile(content!, info, inspector, facts);
      // A TOP reply cuts the message short on purpose: broken encodings at its end are expected.
      if (part.malformed && !context.truncated) inspected.findings.push({ engine: 'mime', name: 'MIME.Malformed', kind: 'malformed', location: [...location, part.malformed] });
      Object.assign(report, { findings: inspected.findings, errors: inspected.errors, verdict: verdictOf(inspected.findings, inspected.errors), scanned: true });
    } else streamed?.skip();
    report.rules = evaluateLevel(rules, 'attachment', attachmentFacts(report));
    parts.push(report);
  }
  const structural: Finding[] =
    shape.walk.malformed && !context.truncated ? [{ engine: 'mime', name: 'MIME.Malformed', kind: 'malformed', location: [shape.walk.malformed] }] : [];
  return {
    verdict: worstVerdict([...parts.map((part) => part.verdict), verdictOf(structural)]),
    parts,
    findings: [...structural, ...parts.flatMap((part) => part.findings)],
    errors: parts.flatMap((part) => part.errors),
  };
}
