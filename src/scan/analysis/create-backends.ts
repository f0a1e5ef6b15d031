// The configured stage-2 backends (analysis.backends) as AnalysisBackend objects.
import type { AnalysisBackendConfig } from '../../config/analysis-schema.js';
import { createCommandBackend } from './command-backend.js';
import { createIcapBackend } from './icap/index.js';
import type { AnalysisBackend } from './types.js';

export function createBackend(config: AnalysisBackendConfig): AnalysisBackend {
  const common = { name: config.name, timeoutMs: config.timeoutSeconds * 1000, maxConcurrent: config.maxConcurrent };
  switch (config.type) {
    case 'icap':
      return createIcapBackend({ ...common, url: config.url, preview: config.preview });
    case 'command':
      return createCommandBackend({ ...common, argv: config.command });
  }
}

export function createBackends(configs: readonly AnalysisBackendConfig[]): AnalysisBackend[] {
  return configs.map(createBackend);
}
