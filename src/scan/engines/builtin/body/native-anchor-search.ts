// A handful of anchors found with Buffer.indexOf (native, several GB/s on most data) instead of the
// automaton's JS loop (a few hundred MB/s). Each anchor is searched as its needle (anchor-needle.ts):
// the anchor with the bytes all its signatures have around it. Every occurrence is reported,
// overlapping ones included, by where its anchor ends, like the automaton does; the order differs
// (anchor by anchor rather than by position), which the verification in BodyScan does not depend on.
// An anchor the caller no longer wants (all its signatures settled) is not searched any further,
// so a file made of one anchor repeated costs a bounded number of calls.
import type { AnchorNeedle } from './anchor-needle.js';

export type AnchorMatch = (anchorId: number, end: number) => void;

export class NativeAnchorSearch {
  /** The longest needle: a streamed scan bridges one byte less of it between slices. */
  readonly longestNeedle: number;

  constructor(
    private readonly needles: readonly AnchorNeedle[],
    /** Anchor id reported for each entry of `needles`. */
    private readonly ids: readonly number[],
  ) {
    this.longestNeedle = Math.max(0, ...needles.map((needle) => needle.bytes.length));
  }

  get anchorCount(): number {
    return this.needles.length;
  }

  /**
   * Reports every anchor ending in (start, end] whose needle lies within `data` (which may go on past
   * `end`: a needle may need bytes after its anchor); stops on an anchor once wanted() says no.
   */
  scan(data: Buffer, start: number, end: number, onMatch: AnchorMatch, wanted: (anchorId: number) => boolean): void {
    for (let index = 0; index < this.needles.length; index++) {
      const { bytes, anchorEnd } = this.needles[index];
      const stop = Math.min(data.length, end + bytes.length - anchorEnd);
      this.searchNeedle(index, stop === data.length ? data : data.subarray(0, stop), start - anchorEnd + 1, Infinity, onMatch, wanted);
    }
  }

  /** Reports every needle that begins before `cut` and ends after it: the occurrences a search on either side of a cut misses. */
  scanAcross(data: Buffer, cut: number, onMatch: AnchorMatch, wanted: (anchorId: number) => boolean): void {
    for (let index = 0; index < this.needles.length; index++) this.searchNeedle(index, data, cut - this.needles[index].bytes.length + 1, cut, onMatch, wanted);
  }

  /** Needles starting in [from, before) of `view`. */
  private searchNeedle(index: number, view: Buffer, from: number, before: number, onMatch: AnchorMatch, wanted: (anchorId: number) => boolean): void {
    const id = this.ids[index];
    if (!wanted(id)) return;
    const { bytes, anchorEnd } = this.needles[index];
    for (let at = view.indexOf(bytes, Math.max(0, from)); at !== -1 && at < before; at = view.indexOf(bytes, at + 1)) {
      onMatch(id, at + anchorEnd);
      if (!wanted(id)) return;
    }
  }
}
