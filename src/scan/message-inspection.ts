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
  /**
   * What the verdict store or the pipeline knew of the part (only with analysis settings), and its
   * SHA-256 when that was needed to ask (not when no stored verdict is about a part of its size).
   */
  known?: { sha256?: string; stored?: AnalysisVerdict };
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
