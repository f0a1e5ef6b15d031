import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../user-error.js';
import { configSchema, type Config } from './schema.js';

/** Loads and validates a YAML config file; any problem is a UserError naming file, line and problem. */
export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`${path}: cannot read config file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, path: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new UserError(`${path}:${line}: invalid YAML: ${first.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(`${path}:1: the config must be a mapping (key: value), not ${Array.isArray(raw) ? 'a list' : typeof raw}`);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new UserError(describeIssue(result.error.issues[0], doc, lineCounter, path));
  }
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lineCounter: LineCounter, path: string): string {
  const keys = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  let where = [...keys];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    where = [...keys, issue.keys[0]];
    message = `unknown setting "${issue.keys[0]}"`;
  }
  const line = lineOf(doc, lineCounter, where);
  const field = where.length > 0 ? where.join('.') : '(top level)';
  return `${path}:${line}: ${field}: ${message}`;
}

/** The line of the deepest node on the path that exists in the document. */
function lineOf(doc: Document, lineCounter: LineCounter, path: (string | number)[]): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    const target = prefix.length === 0 ? doc.contents : findKeyOrNode(doc, prefix);
    const offset = (target as { range?: [number, number, number] } | null | undefined)?.range?.[0];
    if (offset !== undefined) return lineCounter.linePos(offset).line;
  }
  return 1;
}

function findKeyOrNode(doc: Document, path: (string | number)[]): unknown {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  const last = path[path.length - 1];
  const items = (parent as { items?: { key?: { value?: unknown; range?: unknown } }[] } | null)?.items;
  if (typeof last === 'string' && Array.isArray(items)) {
    const pair = items.find((item) => item?.key && (item.key as { value?: unknown }).value === last);
    if (pair?.key) return pair.key;
  }
  return doc.getIn(path, true);
}
