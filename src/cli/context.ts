import type { Command } from 'commander';
import { resolveDataDir } from '../ca/datadir.js';
import { defaultConfigPath } from '../config/store.js';

/** Settings every command shares: where the data dir and the config file are. */
export interface CliContext {
  dataDir: string;
  configPath: string;
}

export function cliContext(command: Command): CliContext {
  const options = command.optsWithGlobals<{ dataDir?: string; config?: string }>();
  const dataDir = resolveDataDir(options.dataDir);
  return { dataDir, configPath: options.config ?? defaultConfigPath(dataDir) };
}
