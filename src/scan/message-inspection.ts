// What inspecting a message found: one report per MIME part and the message's verdict. Its own module so
// the fact builders (build-facts.ts), the policy and the notice read it without importing the inspection.
import type { LevelOutcome } from '../rules/index.js';
import type { Finding, Verdict } from '../types/verdict.js';
import type { FileFacts } from './types.js';
import type { AnalysisVerdict } from '../types/analysis-verdict.js';

export interface PartReport {
  path: string;
  fileName?: string;
  declaredType: string;
  /** Decoded size in bytes. */
  size: number;
  facts?: FileFacts;
  findings: Finding[];
  errors: string[];
  verdict: Verdict;
  /** False when an attachment rule kept the part from the engines (skip-part-scan). */
  scanned: boolean;
  /** SHA-256 of the decoded part and what the verdict store or the pipeline knew of it (only with analysis settings). */
  known?: { sha256: string; stored?: AnalysisVerdict };
  /** What the attachment rules decided for this part. */
  rules: LevelOutcome;
}

export interface MessageInspection {
  verdict: Verdict;
  parts: PartReport[];
  /** Every finding, parts and message structure together. */
  findings: Finding[];
  errors: string[];
}
