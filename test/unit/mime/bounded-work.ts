// What "fast" means in the walker's tests: work counted by the walk itself (WalkWork), bounded by the
// limits and linear in the input's lines. Timings live in scripts/bench/unit-timings.ts.
import assert from 'node:assert/strict';
import { DEFAULT_WALK_LIMITS, type WalkResult, type WalkWork } from '../../../src/mime/types.js';

const { maxDepth, maxParts } = DEFAULT_WALK_LIMITS;

export function lineCount(buffer: Buffer): number {
  let count = 1;
  for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) count++;
  return count;
}

export function workOf(result: WalkResult): WalkWork {
  assert.ok(result.work, 'the walk reports its work');
  return result.work;
}

/** Work bounded by the limits and linear in the input: every line looked at a bounded number of times. */
export function assertBounded(buffer: Buffer, work: WalkWork): void {
  const lines = lineCount(buffer);
  assert.ok(work.maxDepth <= maxDepth + 1, `depth ${work.maxDepth}`);
  // Dovecot matches boundaries by prefix ("--b12" inside the cut-off rest is a delimiter of the open "b1"), so
  // a cut-off rest can still hold siblings; their number is what maxParts caps.
  assert.ok(work.entities <= maxParts + 1, `entities ${work.entities}`);
  assert.ok(work.headerLines <= 2 * lines, `header lines ${work.headerLines} for ${lines} lines`);
  assert.ok(work.delimiterCandidates <= 2 * lines, `delimiter candidates ${work.delimiterCandidates} for ${lines} lines`);
  assert.ok(work.boundaryComparisons <= work.delimiterCandidates * (maxDepth + 1), `comparisons ${work.boundaryComparisons}`);
}
