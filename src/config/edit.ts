// Changes to the configuration file made by CLI commands: edited in the YAML document (so the user's
// comments and layout stay), validated as a whole, and written through a temp file and a rename.
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Document, parseDocument } from 'yaml';
import { ensurePrivateDir, writePrivateFile } from '../private-files.js';
import { UserError } from '../user-error.js';
import { parseConfigText } from './load.js';
import type { Config } from './schema.js';

function readDocument(path: string): Document {
  if (!existsSync(path)) return new Document({});
  const doc = parseDocument(readFileSync(path, 'utf8'));
  if (doc.errors.length > 0) throw new UserError(`${path}: invalid YAML, fix it first: ${doc.errors[0].message.split('\n')[0]}`);
  if (doc.contents === null) return new Document({});
  return doc;
}

/** The raw (unvalidated, defaults not filled in) value at a path of the file, e.g. ['rules', 'transport']. */
export function readRawSetting(path: string, keys: readonly (string | number)[]): unknown {
  const value = readDocument(path).getIn(keys, false);
  return value !== null && typeof value === 'object' && 'toJSON' in value ? (value as { toJSON(): unknown }).toJSON() : value;
}

/**
 * Applies `edit` to the file's YAML document and writes it back only when the whole result is a
 * valid configuration; otherwise throws the validation problem and leaves the file as it was.
 */
export function editConfigFile(path: string, edit: (doc: Document) => void): Config {
  const doc = readDocument(path);
  edit(doc);
  const text = doc.toString();
  const config = parseConfigText(text, path);
  ensurePrivateDir(dirname(path));
  writePrivateFile(path, text);
  return config;
}
