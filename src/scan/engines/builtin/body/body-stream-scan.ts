// A BodyScan over a file handed in slice by slice and never held whole: the same names as BodyScan
// over the whole file. For signatures whose match fits a bounded window (one segment: no '*' or
// '{n-}', offset '*', at most MAX_STREAM_SPAN bytes), the last `keep` bytes fed (the longest such
// signature, plus an anchor) are kept as a copy; the anchor search carries on across slices (the
// automaton by its state, the native search over the few bytes around each cut), and a hit is checked
// locally as in BodyScan once the bytes its signature may cover after the anchor have arrived (or
// the file ended), on a window of those kept bytes and the slice built only for that check.
// A signature that fails LOCAL_CHECK_BUDGET local checks (degenerate data: an anchor on every byte)
// is then matched by evaluating it over the window for every start position from there on, once,
// the streaming form of BodyScan's one whole-file evaluation.
// Any other signature is decided as BodyScan decides it, by a whole-file evaluation once its anchor
// occurs: its anchor is searched too, and a hit says the file is needed whole after all
// (`needsWholeFile`; rare: most files hold no such anchor).
import { matchesAroundAnchor } from './compiled-signature.js';
import { LOCAL_CHECK_BUDGET, type AnchorMatcher, type BodyScanWork, type BodySignature } from './body-signature.js';
import type { NativeAnchorSearch } from './native-anchor-search.js';
import { applySteps } from './step-matcher.js';

/** Longest match a streamed signature may cover: the window kept between slices stays small. */
export const MAX_STREAM_SPAN = 64 * 1024;
const MAX_ANCHOR = 8;

/** What a streamed signature needs of the window around an anchor ending at a position. */
export interface StreamWindow {
  /** Bytes the signature may cover before the anchor and after it; span: the whole match at most. */
  before: number;
  after: number;
  span: number;
}

interface PendingHit {
  index: number;
  anchorEnd: number;
}

export class BodyStreamScan {
  readonly work: BodyScanWork & { windowedEvaluations: number; windowBytes: number } = { anchorHits: 0, localChecks: 0, wholeFileChecks: 0, windowedEvaluations: 0, windowBytes: 0 };
  /** The last `keep` bytes fed before the current slice (a copy), and the file offset of its first. */
  private tail = Buffer.alloc(0);
  private tailStart = 0;
  /** The slice being fed, and where it starts; the window (tail + slice) is built only when a check needs it. */
  private slice: Buffer | undefined;
  private sliceStart = 0;
  private built: Buffer | undefined;
  /** Bytes fed so far: the end of the window. */
  private windowEnd = 0;
  private state = 0;
  private ended = false;
  private readonly keep: number;
  private readonly failedChecks = new Map<number, number>();
  private readonly matched = new Set<number>();
  /** Signatures evaluated over the window from this start position on (no longer checked at anchors). */
  private readonly windowedFrom = new Map<number, number>();
  private pending: PendingHit[] = [];
  private wholeFileNeeded = false;
  private readonly onSliceMatch = (anchorId: number, end: number): void => this.hit(anchorId, this.sliceStart + end);
  private readonly onAutomatonMatch = (pattern: number, end: number): void => this.hit((this.matcher as { anchorIds: Uint32Array }).anchorIds[pattern], this.sliceStart + end);
  private readonly wanted = (anchorId: number): boolean => this.signaturesByAnchor[anchorId].some((index) => this.open(index) || (this.wholeFile.has(index) && !this.wholeFileNeeded));

  constructor(
    private readonly matcher: AnchorMatcher | null,
    private readonly signatures: readonly BodySignature[],
    private readonly signaturesByAnchor: readonly number[][],
    /** Per signature index: its window when it applies to this file's type and fits one. */
    private readonly windows: ReadonlyMap<number, StreamWindow>,
    /** Signatures that apply to this file's type but need the whole file once their anchor occurs. */
    private readonly wholeFile: ReadonlySet<number>,
  ) {
    // Also a needle less one byte, for the native search's bridge across the cut.
    const needle = matcher?.kind === 'native' ? matcher.search.longestNeedle : 0;
    this.keep = Math.max(Math.max(0, ...[...windows.values()].map((window) => window.span)) + MAX_ANCHOR, needle);
  }

  get searching(): boolean {
    return this.matcher !== null;
  }

  /** The next slice of the file (only read during the call). */
  feed(slice: Buffer): void {
    if (this.matcher === null || slice.length === 0) return;
    this.slice = slice;
    this.sliceStart = this.windowEnd;
    this.windowEnd += slice.length;
    this.built = undefined;
    this.settlePending();
    if (this.matcher.kind === 'native') this.searchNatively(this.matcher.search, slice);
    // The automaton carries its state across slices: no bytes before the slice are needed.
    else this.state = this.matcher.automaton.scan(slice, 0, slice.length, this.state, this.onAutomatonMatch);
    this.evaluateWindowed();
    const kept = Math.min(this.keep, this.tail.length + slice.length);
    this.tail = Buffer.from(kept <= slice.length ? slice.subarray(slice.length - kept) : Buffer.concat([this.tail, slice]).subarray(this.tail.length + slice.length - kept));
    this.tailStart = this.windowEnd - this.tail.length;
    this.slice = undefined;
    this.built = undefined;
  }

  /**
   * Needles that begin in the tail and end in the slice (a few bytes either side of the cut; the anchor
   * may end in either), then those inside the slice.
   */
  private searchNatively(search: NativeAnchorSearch, slice: Buffer): void {
    const reach = Math.min(this.tail.length, search.longestNeedle - 1);
    if (reach > 0) {
      const bridge = Buffer.concat([this.tail.subarray(this.tail.length - reach), slice.subarray(0, search.longestNeedle - 1)]);
      const bridgeStart = this.sliceStart - reach;
      search.scanAcross(bridge, reach, (anchorId, end) => this.hit(anchorId, bridgeStart + end), this.wanted);
    }
    search.scan(slice, 0, slice.length, this.onSliceMatch, this.wanted);
  }

  /** The bytes [tailStart, windowEnd): built on the first check that needs them in this slice. */
  private get window(): Buffer {
    if (!this.built) {
      this.built = this.slice ? Buffer.concat([this.tail, this.slice]) : this.tail;
      this.work.windowBytes += this.built.length;
    }
    return this.built;
  }

  end(): void {
    this.ended = true;
    this.settlePending();
    this.evaluateWindowed();
    this.tail = Buffer.alloc(0);
  }

  /** An anchor of a signature that needs the whole file occurred: names() is then not the answer. */
  get needsWholeFile(): boolean {
    return this.wholeFileNeeded;
  }

  /** Names (raw, without suffix) of the signatures found, in database order. */
  names(): string[] {
    return [...this.matched].sort((a, b) => a - b).map((index) => this.signatures[index].name);
  }

  private open(index: number): boolean {
    return this.windows.has(index) && !this.matched.has(index) && !this.windowedFrom.has(index);
  }

  private hit(anchorId: number, anchorEnd: number): void {
    this.work.anchorHits++;
    for (const index of this.signaturesByAnchor[anchorId]) {
      if (this.wholeFile.has(index)) this.wholeFileNeeded = true;
      if (!this.open(index)) continue;
      if (this.ended || anchorEnd + this.windows.get(index)!.after <= this.windowEnd) this.check(index, anchorEnd);
      else this.pending.push({ index, anchorEnd });
    }
  }

  /** Hits that waited for the bytes after their anchor, in the order they were found. */
  private settlePending(): void {
    const waiting = this.pending;
    this.pending = [];
    for (const { index, anchorEnd } of waiting) {
      if (!this.open(index)) continue;
      if (this.ended || anchorEnd + this.windows.get(index)!.after <= this.windowEnd) this.check(index, anchorEnd);
      else this.pending.push({ index, anchorEnd });
    }
  }

  private check(index: number, anchorEnd: number): void {
    const signature = this.signatures[index];
    const failed = this.failedChecks.get(index) ?? 0;
    if (failed >= LOCAL_CHECK_BUDGET) {
      // Every start from the earliest this hit's match could have is evaluated over the window instead.
      this.windowedFrom.set(index, anchorEnd - signature.pattern.anchor.bytes.length - this.windows.get(index)!.before);
      return;
    }
    this.work.localChecks++;
    if (matchesAroundAnchor(signature.pattern, this.window, anchorEnd - this.tailStart)) this.matched.add(index);
    else this.failedChecks.set(index, failed + 1);
  }

  /** For each signature evaluated over the window: every start whose whole match is now in the window. */
  private evaluateWindowed(): void {
    for (const [index, from] of this.windowedFrom) {
      const to = this.ended ? this.windowEnd : this.windowEnd - this.windows.get(index)!.span;
      if (to < from) continue;
      this.work.windowedEvaluations++;
      const [segment] = this.signatures[index].pattern.segments;
      if (applySteps(segment.steps, [from - this.tailStart, to - this.tailStart], this.window, 1).length > 0) {
        this.matched.add(index);
        this.windowedFrom.delete(index);
      } else this.windowedFrom.set(index, to + 1);
    }
  }
}
