// Adding to and removing from a list setting of the configuration file (exclusions, TLS ports),
// through editConfigFile so comments stay and an invalid result never reaches the file.
import { isSeq, type Document } from 'yaml';
import { editConfigFile, readRawSetting } from '../config/edit.js';
import { existsSync } from 'node:fs';

export type ListValue = string | number;

function currentList(path: string, keys: readonly string[]): ListValue[] {
  if (!existsSync(path)) return [];
  const raw = readRawSetting(path, keys);
  return Array.isArray(raw) ? (raw as ListValue[]) : [];
}

/** Adds the values not yet in the list; returns those added. A list given only by default is written out first. */
export function addToList(path: string, keys: readonly string[], values: readonly ListValue[], defaults: readonly ListValue[] = []): ListValue[] {
  const existing = existsSync(path) && readRawSetting(path, keys) !== undefined ? currentList(path, keys) : [...defaults];
  const added = values.filter((value, index) => !existing.includes(value) && values.indexOf(value) === index);
  if (added.length === 0) return [];
  editConfigFile(path, (doc) => {
    ensureList(doc, keys, existing);
    for (const value of added) doc.addIn([...keys], value);
  });
  return added;
}

/** Removes the values; returns those that were not in the list (nothing is changed then). */
export function removeFromList(path: string, keys: readonly string[], values: readonly ListValue[], defaults: readonly ListValue[] = []): ListValue[] {
  const explicit = existsSync(path) && readRawSetting(path, keys) !== undefined;
  const existing = explicit ? currentList(path, keys) : [...defaults];
  const missing = values.filter((value) => !existing.includes(value));
  if (missing.length > 0) return missing;
  editConfigFile(path, (doc) => {
    ensureList(doc, keys, existing);
    const seq = doc.getIn([...keys], true);
    if (!isSeq(seq)) return;
    seq.items = seq.items.filter((item) => !values.includes((item as { value?: ListValue }).value ?? (item as ListValue)));
  });
  return [];
}

function ensureList(doc: Document, keys: readonly string[], existing: readonly ListValue[]): void {
  if (!isSeq(doc.getIn([...keys], true))) doc.setIn([...keys], doc.createNode([...existing]));
}
