// What is already known about a decoded part before the engines look at it: a stored verdict (the
// verdict store, looked up by the part's SHA-256) or a decision the pipeline hands the evaluation
// (a stage-2 verdict just reached, `holds block`, analysis.onTimeout=block). A blocking one becomes
// the part's finding, so the result rules act on it like on any detection (engine `analysis:NAME`).
import type { AnalysisConfig } from '../../config/analysis-schema.js';
import type { AnalysisVerdict } from '../../types/analysis-verdict.js';
import type { AnalysisEngineName, Finding } from '../../types/verdict.js';
import type { VerdictRecord } from '../../store/verdicts.js';
import { isBlocking } from './submission.js';
import { digestOf } from '../content-digest.js';

/** A decision about a part that the pipeline passes into an evaluation (crosses the worker boundary). */
export interface KnownPart {
  sha256: string;
  verdict: Exclude<AnalysisVerdict, 'clean'>;
  /** Who decided: a backend's name, 'manual', 'timeout'. */
  backend: string;
  name?: string;
}

/** How the evaluation sees one part. */
export interface PartStandingFound {
  /** Unset when nothing stored or decided could be about a part of its size: it was not hashed. */
  sha256?: string;
  /** A verdict that spares the part stage 2 (a fresh clean one, or any other stored one). */
  stored?: AnalysisVerdict;
  /** Set when the part is blocked by what is known: the engines are not asked again. */
  finding?: Finding;
}

export interface KnownVerdicts {
  readonly submitting: boolean;
  readonly submit: AnalysisConfig['submit'];
  /**
   * Whether a part must be hashed for its standing: some decision is handed in, or the store may hold a
   * verdict about a part of `size` decoded bytes (undefined: not known yet).
   */
  wantsSha256(size: number | undefined, known: ReadonlyMap<string, KnownPart>): boolean;
  /** `content`: the decoded part, or (streamed rather than held) its size and the SHA-256 when it was wanted. */
  standing(content: Buffer | { size: number; sha256?: string }, location: string[], known: ReadonlyMap<string, KnownPart>): Promise<PartStandingFound>;
}

/**
 * The verdict store, answering only with records that still count (an expired clean verdict does not):
 * directly in the main thread, through the pool from a scan worker (which loads no SQLite).
 */
export type VerdictLookup = (sha256: string) => VerdictRecord | undefined | Promise<VerdictRecord | undefined>;

/** False: the store holds no verdict about a part of this decoded size (undefined: of any size). */
export type SizeFilter = (size: number | undefined) => boolean;

/** Shared with the builtin engine's .hsb lookup, so the part is hashed once. */
export function sha256Of(content: Buffer): string {
  return digestOf(content, 'sha256');
}

export function analysisEngine(backend: string): AnalysisEngineName {
  return `analysis:${backend}`;
}

// A blocking verdict is a signature finding (part verdict `infected`) whatever its level: analysis.block
// already said it blocks, and the shipped rules strip infected parts; its name tells what was found.
function findingFor(verdict: Exclude<AnalysisVerdict, 'clean'>, backend: string, name: string | undefined, location: string[]): Finding {
  return {
    engine: analysisEngine(backend),
    name: name ?? (verdict === 'malicious' ? 'Analysis.Malicious' : 'Analysis.Suspicious'),
    kind: 'signature',
    location,
  };
}

/**
 * `lookup`: the verdict store (undefined: none). `submitting`: stage-2 backends are configured.
 * `mayHoldSize`: the sizes the store's verdicts are about (undefined: any size may be there).
 */
export function knownVerdicts(config: AnalysisConfig, lookup: VerdictLookup | undefined, submitting: boolean, mayHoldSize?: SizeFilter): KnownVerdicts {
  const wantsSha256 = (size: number | undefined, known: ReadonlyMap<string, KnownPart>) => known.size > 0 || (lookup !== undefined && (mayHoldSize?.(size) ?? true));
  return {
    submitting,
    submit: config.submit,
    wantsSha256,
    async standing(content, location, known) {
      const size = Buffer.isBuffer(content) ? content.length : content.size;
      if (!wantsSha256(size, known)) return {};
      const sha256 = Buffer.isBuffer(content) ? sha256Of(content) : content.sha256;
      // A streamed part hashed only if wantsSha256(undefined) said so before its first slice, which it does whenever it says so for its size.
      if (sha256 === undefined) return {};
      const decided = known.get(sha256);
      if (decided) return { sha256, stored: decided.verdict, finding: findingFor(decided.verdict, decided.backend, decided.name, location) };
      const record = await lookup?.(sha256);
      if (!record) return { sha256 };
      if (record.verdict === 'clean') return { sha256, stored: 'clean' };
      const blocking = isBlocking(record.verdict, config.block);
      return { sha256, stored: record.verdict, ...(blocking ? { finding: findingFor(record.verdict, record.backend, record.name, location) } : {}) };
    },
  };
}
