import { existsSync, mkdirSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfigFile } from './load.js';
import { configSchema, type Config } from './schema.js';

export function defaultConfigPath(dataDir: string): string {
  return join(dataDir, 'config.yaml');
}

/** The config at path, or the defaults when the file does not exist yet. */
export function readConfigOrDefaults(path: string): Config {
  return existsSync(path) ? loadConfigFile(path) : configSchema.parse({});
}

/** Validates, then writes atomically (temp file + fsync + rename), so a failure never leaves half a file. */
export function writeConfig(path: string, config: Config): void {
  const valid = configSchema.parse(config);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, stringify(valid), { mode: 0o600 });
  const fd = openSync(temp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
