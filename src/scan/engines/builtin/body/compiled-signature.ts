// A body signature ready for matching. Unbounded gaps ('*', '{n-}') split it into segments; every
// segment holds only bounded steps. One run of exact bytes (the anchor, at most MAX_ANCHOR bytes,
// at least 2) goes into the Aho-Corasick automaton; a hit there is checked locally (the rest of the
// anchor's segment, right to left before it and left to right after it) and, when the signature has
// several segments or a fixed offset, by one full evaluation of the file.
import { HexPatternError, type HexToken } from './hex-pattern.js';
import { applySteps } from './step-matcher.js';
import { offsetRange, type SignatureOffset } from './signature-offset.js';
import { compileSteps, minLength, reverseSteps, type Step } from './steps.js';

const MAX_ANCHOR = 8;
const MIN_ANCHOR = 2;
const FIRST_WINDOW = 4096;

interface Segment {
  steps: Step[];
  minLength: number;
}

export interface Anchor {
  bytes: Buffer;
  /** Steps of the anchor's segment before the anchor, reversed for right-to-left matching. */
  beforeReversed: Step[];
  /** Steps of the anchor's segment after the anchor. */
  after: Step[];
}

export interface CompiledPattern {
  segments: Segment[];
  /** gapBefore[j]: minimum number of bytes between segment j-1 and j (j >= 1). */
  gapBefore: number[];
  anchor: Anchor;
}

function splitSegments(tokens: HexToken[]): { segments: Segment[]; gapBefore: number[] } {
  const segments: Segment[] = [];
  const gapBefore: number[] = [0];
  let current: HexToken[] = [];
  for (const token of tokens) {
    if (token.kind === 'gap' && token.max === Infinity) {
      const steps = compileSteps(current);
      segments.push({ steps, minLength: minLength(steps) });
      gapBefore.push(token.min);
      current = [];
    } else {
      current.push(token);
    }
  }
  const steps = compileSteps(current);
  segments.push({ steps, minLength: minLength(steps) });
  return { segments, gapBefore };
}

function distinctBytes(bytes: Buffer): number {
  return new Set(bytes).size;
}

/** The window of the longest exact run with the most distinct byte values (rarer in real data). */
function chooseAnchor(segments: Segment[]): Anchor {
  let best: { segment: number; step: number; offset: number; length: number; score: number } | undefined;
  segments.forEach((segment, segmentIndex) => {
    segment.steps.forEach((step, stepIndex) => {
      if (step.kind !== 'run' || step.bytes.length < MIN_ANCHOR) return;
      const length = Math.min(MAX_ANCHOR, step.bytes.length);
      for (let offset = 0; offset + length <= step.bytes.length; offset++) {
        const score = length * 16 + distinctBytes(step.bytes.subarray(offset, offset + length));
        if (!best || score > best.score) best = { segment: segmentIndex, step: stepIndex, offset, length, score };
      }
    });
  });
  if (!best) throw new HexPatternError('the signature needs at least two consecutive plain hex bytes (outside alternatives)');
  const steps = segments[best.segment].steps;
  const run = (steps[best.step] as Step & { kind: 'run' }).bytes;
  const before = steps.slice(0, best.step);
  const after = steps.slice(best.step + 1);
  if (best.offset > 0) before.push({ kind: 'run', bytes: run.subarray(0, best.offset) });
  if (best.offset + best.length < run.length) after.unshift({ kind: 'run', bytes: run.subarray(best.offset + best.length) });
  return { bytes: Buffer.from(run.subarray(best.offset, best.offset + best.length)), beforeReversed: reverseSteps(before), after };
}

export function compilePattern(tokens: HexToken[]): CompiledPattern {
  const { segments, gapBefore } = splitSegments(tokens);
  return { segments, gapBefore, anchor: chooseAnchor(segments) };
}

/** Does the anchor's segment match around an anchor occurrence ending (exclusive) at anchorEnd? */
export function matchesAroundAnchor(pattern: CompiledPattern, data: Buffer, anchorEnd: number): boolean {
  const { anchor } = pattern;
  const anchorStart = anchorEnd - anchor.bytes.length;
  if (applySteps(anchor.beforeReversed, [anchorStart, anchorStart], data, -1).length === 0) return false;
  return applySteps(anchor.after, [anchorEnd, anchorEnd], data, 1).length > 0;
}

/**
 * The smallest end of a segment match starting in [lo, hi], or -1. Searches windows of growing
 * width so that a match near lo is found without visiting the whole range.
 */
function earliestEnd(segment: Segment, lo: number, hi: number, data: Buffer): number {
  let best = Infinity;
  let width = FIRST_WINDOW;
  for (let from = lo; from <= hi; from += width, width *= 2) {
    const to = Math.min(hi, from + width - 1);
    const ends = applySteps(segment.steps, [from, to], data, 1);
    if (ends.length > 0 && ends[0] < best) best = ends[0];
    // Any match starting after `to` ends at or after to + 1 + minLength.
    if (best <= to + 1 + segment.minLength) break;
  }
  return best === Infinity ? -1 : best;
}

/**
 * Whole-file evaluation: segments left to right, each at the earliest place it can end (with
 * unbounded gaps between segments, an earlier end never hurts the segments after it).
 */
export function matchesWholeFile(pattern: CompiledPattern, offset: SignatureOffset, data: Buffer): boolean {
  const range = offsetRange(offset, data.length);
  if (!range) return false;
  let [lo, hi] = range;
  for (let j = 0; j < pattern.segments.length; j++) {
    if (j > 0) {
      lo += pattern.gapBefore[j];
      hi = data.length;
      if (lo > hi) return false;
    }
    const end = earliestEnd(pattern.segments[j], lo, hi, data);
    if (end < 0) return false;
    lo = end;
  }
  return true;
}

/** True when a local check at the anchor decides the match alone (one segment, any offset). */
export function anchorDecides(pattern: CompiledPattern, offset: SignatureOffset): boolean {
  return pattern.segments.length === 1 && offset.kind === 'any';
}
