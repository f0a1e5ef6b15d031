// Stage-2 analyses of decoded parts, one at a time per SHA-256: a part that arrives again (another
// message, the same attachment) while it is being analysed waits for the analysis already running.
// Every backend is asked; the outcome is stored in the verdict store once it is decided: when a
// backend's verdict blocks, or when every backend answered (an error leaves the part unknown, so a
// later fetch asks again).
import type { Logger } from 'pino';
import type { AnalysisConfig } from '../../config/analysis-schema.js';
import type { VerdictStore } from '../../store/verdicts.js';
import type { AnalysisVerdict } from '../../types/analysis-verdict.js';
import { isBlocking } from './submission.js';
import type { AnalysisBackend, AnalysisResult } from './types.js';

/** What stage 2 concluded about one part. */
export interface PartOutcome {
  sha256: string;
  results: AnalysisResult[];
  /** The most serious verdict a backend reached; undefined when every backend failed. */
  verdict?: AnalysisVerdict;
  /** The result that decided (the most serious verdict's). */
  decisive?: AnalysisResult;
  blocking: boolean;
  /** Backends that could not decide. */
  errors: AnalysisResult[];
  /** Whether it went into the verdict store. */
  stored: boolean;
}

const SEVERITY: AnalysisVerdict[] = ['malicious', 'suspicious', 'clean'];

export function combine(sha256: string, results: AnalysisResult[], block: AnalysisConfig['block']): Omit<PartOutcome, 'stored'> {
  const answered = results.filter((result): result is AnalysisResult & { verdict: AnalysisVerdict } => result.verdict !== 'error');
  const decisive = answered.sort((a, b) => SEVERITY.indexOf(a.verdict) - SEVERITY.indexOf(b.verdict))[0];
  const verdict = decisive?.verdict;
  return {
    sha256,
    results,
    verdict,
    decisive,
    blocking: verdict !== undefined && isBlocking(verdict, block),
    errors: results.filter((result) => result.verdict === 'error'),
  };
}

export class PartAnalyses {
  private readonly running = new Map<string, Promise<PartOutcome>>();
  private readonly stopping = new AbortController();

  constructor(
    private settings: { backends: readonly AnalysisBackend[]; block: AnalysisConfig['block'] },
    private readonly store: VerdictStore,
    private readonly log?: Logger,
  ) {}

  reconfigure(settings: { backends: readonly AnalysisBackend[]; block: AnalysisConfig['block'] }): void {
    this.settings = settings;
  }

  /** Ends every analysis still running (their programs are killed); they end without a verdict. */
  async close(): Promise<void> {
    this.stopping.abort(new Error('the proxy is stopping'));
    await Promise.allSettled([...this.running.values()]);
  }

  get backendNames(): string[] {
    return this.settings.backends.map((backend) => backend.name);
  }

  /** Never rejects: a backend that throws counts as one that could not decide. */
  analyse(sha256: string, content: Buffer, name: string): Promise<PartOutcome> {
    const running = this.running.get(sha256);
    if (running) return running;
    const analysis = this.run(sha256, content, name).finally(() => this.running.delete(sha256));
    this.running.set(sha256, analysis);
    return analysis;
  }

  private async run(sha256: string, content: Buffer, name: string): Promise<PartOutcome> {
    const { backends, block } = this.settings;
    const results = await Promise.all(
      backends.map((backend) =>
        backend.analyse(content, { name, signal: this.stopping.signal }).catch((error: Error): AnalysisResult => ({ verdict: 'error', backend: backend.name, detail: error.message })),
      ),
    );
    const outcome = combine(sha256, results, block);
    let stored = false;
    if (!this.stopping.signal.aborted && outcome.decisive && (outcome.blocking || outcome.errors.length === 0)) {
      try {
        stored = this.store.put({
          sha256,
          verdict: outcome.decisive.verdict as AnalysisVerdict,
          backend: outcome.decisive.backend,
          ...(outcome.decisive.name ? { name: outcome.decisive.name } : {}),
          decidedAt: Date.now(),
          source: 'engine',
          size: content.length,
        });
      } catch (error) {
        this.log?.error({ sha256, reason: (error as Error).message }, 'a stage-2 verdict could not be stored');
      }
    }
    return { ...outcome, stored };
  }
}
