import type { BodyContext } from '../protocol/engine.js';
import type { BodyShape } from './body-shape.js';
import { inspectFile, type FileInspector } from './inspect-file.js';
import type { FileFacts, Finding, Verdict } from './types.js';
import { verdictOf, worstVerdict } from './verdict.js';

export interface PartReport {
  path: string;
  fileName?: string;
  declaredType: string;
  facts?: FileFacts;
  findings: Finding[];
  errors: string[];
  verdict: Verdict;
}

export interface MessageInspection {
  verdict: Verdict;
  parts: PartReport[];
  /** Every finding, parts and message structure together. */
  findings: Finding[];
  errors: string[];
}

/** Runs the engines over every part (decoded) of a fetched body. */
export async function inspectMessage(shape: BodyShape, context: BodyContext, inspector: FileInspector): Promise<MessageInspection> {
  const parts: PartReport[] = [];
  for (const part of shape.walk.parts) {
    const location = [part.fileName ?? `part ${part.path}`];
    const inspected = await inspectFile(part.decode(), { fileName: part.fileName, declaredType: part.contentType, location, insideArchive: false }, inspector);
    // A TOP reply cuts the message short on purpose: broken encodings at its end are expected.
    if (part.malformed && !context.truncated) inspected.findings.push({ engine: 'mime', name: 'MIME.Malformed', kind: 'malformed', location: [...location, part.malformed] });
    parts.push({
      path: part.path,
      fileName: part.fileName,
      declaredType: part.contentType,
      facts: inspected.facts,
      findings: inspected.findings,
      errors: inspected.errors,
      verdict: verdictOf(inspected.findings, inspected.errors),
    });
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
