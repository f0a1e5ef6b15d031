// A handful of anchors found with Buffer.indexOf (native, several GB/s on most data) instead of the
// automaton's JS loop (a few hundred MB/s). Every occurrence is reported, overlapping ones included,
// each in the slice where it ends, like the automaton does; the order differs (anchor by anchor
// rather than by position), which the verification in BodyScan does not depend on.
// An anchor the caller no longer wants (all its signatures settled) is not searched any further,
// so a file made of one anchor repeated costs a bounded number of calls.

export type AnchorMatch = (anchorId: number, end: number) => void;

export class NativeAnchorSearch {
  constructor(
    private readonly anchors: readonly Buffer[],
    /** Anchor id reported for each entry of `anchors`. */
    private readonly ids: readonly number[],
  ) {}

  get anchorCount(): number {
    return this.anchors.length;
  }

  /** Reports every occurrence ending in (start, end]; stops on an anchor once wanted() says no. */
  scan(data: Buffer, start: number, end: number, onMatch: AnchorMatch, wanted: (anchorId: number) => boolean): void {
    const view = end === data.length ? data : data.subarray(0, end);
    for (let index = 0; index < this.anchors.length; index++) {
      const id = this.ids[index];
      if (!wanted(id)) continue;
      const anchor = this.anchors[index];
      let at = view.indexOf(anchor, Math.max(0, start - anchor.length + 1));
      while (at !== -1) {
        onMatch(id, at + anchor.length);
        if (!wanted(id)) break;
        at = view.indexOf(anchor, at + 1);
      }
    }
  }
}
