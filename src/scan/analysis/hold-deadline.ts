// How long one message's scan may take: stage 1 (scan.timeoutSeconds), plus, when stage-2 analysis is
// configured, the longest hold (analysis.maxWaitSeconds). The pipeline's deadline and the session's
// safety net (scanTimeoutMs) both come from here, so neither settles a held message before the other.
import type { Config } from '../../config/schema.js';

export function analysisConfigured(config: Pick<Config, 'analysis'>): boolean {
  return config.analysis.backends.length > 0;
}

export function scanDeadlineSeconds(config: Pick<Config, 'scan' | 'analysis'>): number {
  return config.scan.timeoutSeconds + (analysisConfigured(config) ? config.analysis.maxWaitSeconds : 0);
}
