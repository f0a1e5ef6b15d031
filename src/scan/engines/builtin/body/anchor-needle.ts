// What the native search looks for in place of an anchor: the anchor with the exact bytes that every
// signature sharing it has right before and right after it. Buffer.indexOf skips ahead further the
// longer its needle (measured on random bytes: 8 bytes 1.5 GB/s, 34 bytes 4 GB/s), and an anchor
// occurrence without those bytes around it is part of no match of any of its signatures.
import type { CompiledPattern } from './compiled-signature.js';
import type { Step } from './steps.js';

/** Longer needles gain little more speed, and widen the bytes the streamed scan bridges between slices. */
const MAX_NEEDLE = 64;

export interface AnchorNeedle {
  bytes: Buffer;
  /** Where the anchor ends within the needle. */
  anchorEnd: number;
}

/** The needle for an anchor shared by the signatures of `patterns` (at least one). */
export function anchorNeedle(patterns: readonly CompiledPattern[]): AnchorNeedle {
  const anchorBytes = patterns[0].anchor.bytes;
  const room = Math.max(0, MAX_NEEDLE - anchorBytes.length);
  const after = commonPrefix(patterns.map(({ anchor }) => adjacentRun(anchor.after))).subarray(0, room);
  const before = commonSuffix(patterns.map(({ anchor }) => adjacentRun(anchor.beforeReversed)));
  const lead = before.subarray(Math.max(0, before.length - (room - after.length)));
  return { bytes: Buffer.concat([lead, anchorBytes, after]), anchorEnd: lead.length + anchorBytes.length };
}

/** The exact bytes the steps start with next to the anchor (the first step, when it is a run). */
function adjacentRun(steps: readonly Step[]): Buffer {
  const [first] = steps;
  return first?.kind === 'run' ? first.bytes : Buffer.alloc(0);
}

function commonPrefix(runs: Buffer[]): Buffer {
  let length = Math.min(...runs.map((run) => run.length));
  for (const run of runs) while (length > 0 && run.compare(runs[0], 0, length, 0, length) !== 0) length--;
  return runs[0].subarray(0, length);
}

function commonSuffix(runs: Buffer[]): Buffer {
  let length = Math.min(...runs.map((run) => run.length));
  for (const run of runs) while (length > 0 && run.compare(runs[0], runs[0].length - length, runs[0].length, run.length - length, run.length) !== 0) length--;
  return runs[0].subarray(runs[0].length - length);
}
