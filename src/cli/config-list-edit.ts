// Adding to and removing from a list setting of the configuration file (exclusions, TLS ports),
// through editConfigFile so comments stay and an invalid result never reaches the file.
import { existsSync } from 'node:fs';
import { isSeq, type Document } from 'yaml';
import { editConfigFile, readRawSetting } from '../config/edit.js';
import { UserError } from '../user-error.js';

export type ListValue = string | number;

/** Command arguments split at commas too, so both `a b` and `a,b` work; an empty piece is an error. */
export function splitListArguments(values: readonly string[], emptyProblem: string): string[] {
  const pieces = values.flatMap((value) => value.split(',')).map((value) => value.trim());
  if (pieces.length === 0 || pieces.some((piece) => piece === '')) throw new UserError(emptyProblem);
  return pieces;
}

/** The list as the file has it, or the defaults when the file does not set it. */
function currentList(path: string, keys: readonly string[], defaults: readonly ListValue[]): ListValue[] {
  const raw = existsSync(path) ? readRawSetting(path, keys) : undefined;
  if (raw === undefined) return [...defaults];
  return Array.isArray(raw) ? (raw as ListValue[]) : [];
}

/** Adds the values not yet in the list; returns those added. A list given only by default is written out first. */
export function addToList(path: string, keys: readonly string[], values: readonly ListValue[], defaults: readonly ListValue[] = []): ListValue[] {
  const existing = currentList(path, keys, defaults);
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
  const existing = currentList(path, keys, defaults);
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
