// Fixtures for verdict-store tests: a directory per store under one temp root, and verdict records.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { VerdictRecord } from '../../src/store/verdicts.js';

/** A new directory name under one temp root (`prefix`), removed after the test file. */
export function freshDirs(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(root, { recursive: true, force: true }));
  let dirs = 0;
  return () => join(root, `d${++dirs}`);
}

export const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

/** A malicious engine verdict on sha('part') at T0, with `over` changed. */
export function verdictRecord(over: Partial<VerdictRecord> = {}): VerdictRecord {
  return { sha256: sha('part'), verdict: 'malicious', backend: 'sandbox', name: 'Trojan.Test', decidedAt: T0, source: 'engine', ...over };
}
