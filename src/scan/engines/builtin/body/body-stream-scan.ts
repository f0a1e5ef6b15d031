// A BodyScan over a file handed in slice by slice and never held whole: the same names as BodyScan
// over the whole file, for signatures whose match fits a bounded window (one segment: no '*' or
// '{n-}', offset '*', at most MAX_STREAM_SPAN bytes). Any other signature is decided as BodyScan
// decides it, by a whole-file evaluation once its anchor occurs: its anchor is searched too, and a hit
// says the file is needed whole after all (`needsWholeFile`; rare: most files hold no such anchor). The last `keep` bytes (the longest such
// signature, plus an anchor) stay in a window in front of each new slice, so the anchor search
// carries on across slices and a hit is checked locally as in BodyScan, once the bytes its
// signature may cover after the anchor have arrived (or the file ended).
// A signature that fails LOCAL_CHECK_BUDGET local checks (degenerate data: an anchor on every byte)
// is then matched by evaluating it over the window for every start position from there on, once,
// the streaming form of BodyScan's one whole-file evaluation.
import { matchesAroundAnchor } from './compiled-signature.js';
import { LOCAL_CHECK_BUDGET, type AnchorMatcher, type BodyScanWork, type BodySignature } from './body-signature.js';
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
  readonly work: BodyScanWork & { windowedEvaluations: number } = { anchorHits: 0, localChecks: 0, wholeFileChecks: 0, windowedEvaluations: 0 };
  private window = Buffer.alloc(0);
  /** File offset of window[0]. */
  private base = 0;
  private state = 0;
  private ended = false;
  private readonly keep: number;
  private readonly failedChecks = new Map<number, number>();
  private readonly matched = new Set<number>();
  /** Signatures evaluated over the window from this start position on (no longer checked at anchors). */
  private readonly windowedFrom = new Map<number, number>();
  private pending: PendingHit[] = [];
  private wholeFileNeeded = false;
  private readonly onMatch = (anchorId: number, end: number): void => this.hit(anchorId, this.base + end);
  private readonly onAutomatonMatch = (pattern: number, end: number): void => this.hit((this.matcher as { anchorIds: Uint32Array }).anchorIds[pattern], this.base + end);
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
    this.keep = Math.max(0, ...[...windows.values()].map((window) => window.span)) + MAX_ANCHOR;
  }

  get searching(): boolean {
    return this.matcher !== null;
  }

  /** The next slice of the file (only read during the call). */
  feed(slice: Buffer): void {
    if (this.matcher === null || slice.length === 0) return;
    const kept = Math.min(this.keep, this.window.length);
    this.base += this.window.length - kept;
    this.window = Buffer.concat([this.window.subarray(this.window.length - kept), slice]);
    this.settlePending();
    if (this.matcher.kind === 'native') this.matcher.search.scan(this.window, kept, this.window.length, this.onMatch, this.wanted);
    else this.state = this.matcher.automaton.scan(this.window, kept, this.window.length, this.state, this.onAutomatonMatch);
    this.evaluateWindowed();
  }

  end(): void {
    this.ended = true;
    this.settlePending();
    this.evaluateWindowed();
    this.window = Buffer.alloc(0);
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

  private get windowEnd(): number {
    return this.base + this.window.length;
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
    if (matchesAroundAnchor(signature.pattern, this.window, anchorEnd - this.base)) this.matched.add(index);
    else this.failedChecks.set(index, failed + 1);
  }

  /** For each signature evaluated over the window: every start whose whole match is now in the window. */
  private evaluateWindowed(): void {
    for (const [index, from] of this.windowedFrom) {
      const to = this.ended ? this.windowEnd : this.windowEnd - this.windows.get(index)!.span;
      if (to < from) continue;
      this.work.windowedEvaluations++;
      const [segment] = this.signatures[index].pattern.segments;
      if (applySteps(segment.steps, [from - this.base, to - this.base], this.window, 1).length > 0) {
        this.matched.add(index);
        this.windowedFrom.delete(index);
      } else this.windowedFrom.set(index, to + 1);
    }
  }
}
