// The command line a service manager runs: this node, this CLI (absolute paths, so it does not depend
// on PATH or the working directory), the data dir, and `start`.
import { realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { withProxyNodeFlags } from '../young-generation.js';

export interface ServiceInvocation {
  /** argv: node, its options (with the proxy's own, young-generation.ts), the CLI script, global options, "start". */
  argv: string[];
  dataDir: string;
}

export function serviceInvocation(options: { dataDir: string; configPath?: string; nodePath?: string; execArgv?: string[]; script?: string }): ServiceInvocation {
  const nodePath = options.nodePath ?? process.execPath;
  const script = options.script ?? realpathSync(process.argv[1]);
  const execArgv = withProxyNodeFlags(absoluteLoaders(options.execArgv ?? process.execArgv));
  const config = options.configPath ? ['--config', options.configPath] : [];
  return { argv: [nodePath, ...execArgv, script, '--data-dir', options.dataDir, ...config, 'start'], dataDir: options.dataDir };
}

/**
 * A bare `--import tsx` (running from source) is resolved from the working directory, which a service
 * manager chooses; the resolved URL works from anywhere. Other node options are kept as they are.
 */
function absoluteLoaders(execArgv: string[]): string[] {
  return execArgv.map((arg, index) => {
    const previous = execArgv[index - 1];
    if ((previous === '--import' || previous === '--loader') && !arg.startsWith('file:') && !arg.startsWith('.') && !isAbsolute(arg)) {
      try {
        return import.meta.resolve(arg);
      } catch {
        return arg;
      }
    }
    return arg;
  });
}
