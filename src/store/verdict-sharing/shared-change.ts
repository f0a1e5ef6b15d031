// What travels between machines (#18): a verdict record, or a forget. Encoded as one JSON text, the
// `change` field of a stream entry and the value kept in the hash by SHA-256.
//
// A forget is a record too: "what was known about this part up to forgottenAt no longer counts". On
// every machine it erases a verdict decided at or before forgottenAt and stays behind as a tombstone,
// so a verdict from before the forget that arrives later (a machine that was offline) does not bring
// it back; a verdict reached after the forget stands.
import { ANALYSIS_VERDICTS } from '../../types/analysis-verdict.js';
import { VERDICT_SOURCES, type VerdictRecord } from '../verdicts.js';

export type SharedChange = ({ kind: 'verdict' } & VerdictRecord) | { kind: 'forget'; sha256: string; forgottenAt: number };

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function verdictChange(record: VerdictRecord): SharedChange {
  return { kind: 'verdict', ...record };
}

export function forgetChange(sha256: string, forgottenAt: number = Date.now()): SharedChange {
  return { kind: 'forget', sha256, forgottenAt };
}

/** The record inside a verdict change, as the VerdictStore takes it. */
export function recordOf(change: SharedChange & { kind: 'verdict' }): VerdictRecord {
  const { kind: _kind, ...record } = change;
  return record;
}

/** The JSON text with a fixed field order, so that equal changes are equal texts. */
export function encodeChange(change: SharedChange): string {
  if (change.kind === 'forget') return JSON.stringify({ kind: 'forget', sha256: change.sha256, forgottenAt: change.forgottenAt });
  const { sha256, verdict, backend, name, decidedAt, source, size } = change;
  return JSON.stringify({ kind: 'verdict', sha256, verdict, backend, ...(name !== undefined ? { name } : {}), decidedAt, source, ...(size !== undefined ? { size } : {}) });
}

/** Parses a change another machine wrote; anything malformed gives undefined (and is skipped, with a log line). */
export function decodeChange(text: string): SharedChange | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.sha256 !== 'string' || !SHA256_HEX.test(v.sha256)) return undefined;
  if (v.kind === 'forget') {
    return Number.isSafeInteger(v.forgottenAt) ? { kind: 'forget', sha256: v.sha256, forgottenAt: v.forgottenAt as number } : undefined;
  }
  if (v.kind !== 'verdict') return undefined;
  if (!(ANALYSIS_VERDICTS as readonly unknown[]).includes(v.verdict) || !(VERDICT_SOURCES as readonly unknown[]).includes(v.source)) return undefined;
  if (typeof v.backend !== 'string' || !Number.isSafeInteger(v.decidedAt) || (v.name !== undefined && typeof v.name !== 'string')) return undefined;
  return {
    kind: 'verdict',
    sha256: v.sha256,
    verdict: v.verdict as VerdictRecord['verdict'],
    backend: v.backend,
    ...(typeof v.name === 'string' ? { name: v.name } : {}),
    decidedAt: v.decidedAt as number,
    source: v.source as VerdictRecord['source'],
    // A machine running an older version sends no size (its verdict then makes the workers hash every part).
    ...(Number.isSafeInteger(v.size) && (v.size as number) >= 0 ? { size: v.size as number } : {}),
  };
}

/** When the change was made: a verdict's decidedAt, a forget's forgottenAt. */
export function changeTime(change: SharedChange): number {
  return change.kind === 'forget' ? change.forgottenAt : change.decidedAt;
}

/**
 * Whether `incoming` replaces `kept` for the same SHA-256: the store's rule (a manual decision beats an
 * engine's; between the same source the newer wins, ties to the incoming one) plus forgets (a forget
 * replaces anything not newer than it; after a forget only a verdict decided later counts).
 * PUBLISH_SCRIPT in publish-script.ts applies the same rule to the hash in Redis.
 */
export function changeWins(kept: SharedChange | undefined, incoming: SharedChange): boolean {
  if (kept === undefined) return true;
  if (incoming.kind === 'forget') return changeTime(kept) <= incoming.forgottenAt;
  if (kept.kind === 'forget') return incoming.decidedAt > kept.forgottenAt;
  if (incoming.source === 'manual' && kept.source === 'engine') return true;
  return incoming.source === kept.source && incoming.decidedAt >= kept.decidedAt;
}
