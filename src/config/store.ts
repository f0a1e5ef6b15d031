import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isMap, stringify } from 'yaml';
import { ensureIds } from '../rules/ensure-ids.js';
import { editConfigFile } from './edit.js';
import { ensurePrivateDir, writePrivateFile } from '../private-files.js';
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

const RULE_LAYERS = ['transport', 'mailboxScan'] as const;
export type RuleLayer = (typeof RULE_LAYERS)[number];

/**
 * The configuration as a running proxy or a rules command uses it: rules written by hand without an id
 * get one, written back into the file so the id (and its hit counter) survives reordering and edits.
 */
export function loadConfigAssigningRuleIds(path: string): Config {
  const config = readConfigOrDefaults(path);
  const pending = RULE_LAYERS.map((layer) => ({ layer, ...ensureIds(config.rules[layer]) })).filter((entry) => entry.added.length > 0);
  if (pending.length === 0) return config;
  return editConfigFile(path, (doc) => {
    for (const { layer, rules } of pending) {
      rules.forEach((rule, index) => {
        const node = doc.getIn(['rules', layer, index], true);
        const id = (rule as { id?: unknown }).id;
        if (isMap(node) && !node.has('id')) node.items.unshift(doc.createPair('id', id));
      });
    }
  });
}
