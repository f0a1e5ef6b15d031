// Shared vocabulary of stage-2 analysis (#14): what a deeper backend may conclude about one decoded
// part. scan/analysis produces these, store/verdicts keeps them; a leaf that imports nothing.

export const ANALYSIS_VERDICTS = ['clean', 'malicious', 'suspicious'] as const;

/** A conclusion about a part. A backend that could not decide answers 'error' instead, which is never stored. */
export type AnalysisVerdict = (typeof ANALYSIS_VERDICTS)[number];
