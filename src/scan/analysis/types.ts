// The seam of stage-2 analysis backends (#14): asked about one decoded part, they answer a verdict.
import type { AnalysisVerdict } from '../../types/analysis-verdict.js';

export interface AnalysisResult {
  /** 'error': the backend could not decide (crash, timeout, unreadable answer); see detail. */
  verdict: AnalysisVerdict | 'error';
  /** Detection name, when the backend gave one. */
  name?: string;
  /** The configured backend name (rules see it as engine `analysis:NAME`). */
  backend: string;
  /** One line for events and logs: why an error, or what the backend said. */
  detail?: string;
  /** The state of the service that gave the verdict (ICAP ISTag), when the backend has one. */
  istag?: string;
}

export interface AnalyseOptions {
  /** The part's file name, if it has one (a backend may keep its extension). */
  name?: string;
  /** Aborting ends the analysis (the program is killed) and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface AnalysisBackend {
  readonly name: string;
  analyse(content: Buffer, options?: AnalyseOptions): Promise<AnalysisResult>;
}
