import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { ensurePrivateDir, writePrivateFile } from '../store/private-files.js';
import { loadConfigFile } from './load.js';
import { configSchema, type Config } from './schema.js';

export function defaultConfigPath(dataDir: string): string {
  return join(dataDir, 'config.yaml');
}

/** The config at path, or the defaults when the file does not exist yet. */
export function readConfigOrDefaults(path: string): Config {
  return existsSync(path) ? loadConfigFile(path) : configSchema.parse({});
}

/** Validates, then writes atomically, so a failure never leaves half a file. */
export function writeConfig(path: string, config: Config): void {
  const valid = configSchema.parse(config);
  ensurePrivateDir(dirname(path));
  writePrivateFile(path, stringify(valid));
}
