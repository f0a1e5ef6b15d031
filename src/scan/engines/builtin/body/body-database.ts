// All .ndb signatures of an engine: compiled patterns, and their anchors (signatures sharing an
// anchor share it). A file is searched only for the anchors of signatures whose target type allows
// its detected type: one matcher per group of types that allow the same anchors, built once. A
// group with a handful of anchors is searched natively (Buffer.indexOf, each anchor with the bytes
// all its signatures have around it), a larger one with an
// Aho-Corasick automaton; a group with none is not searched at all. A BodyScan runs one file through
// its group's matcher slice by slice and verifies each anchor hit.
import { DETECTED_TYPES, type DetectedType } from '../../../../types/verdict.js';
import { AhoCorasick, type AhoCorasickOptions } from './aho-corasick.js';
import { anchorNeedle } from './anchor-needle.js';
import { anchorDecides, compilePattern, matchesAroundAnchor, matchesWholeFile } from './compiled-signature.js';
import { NativeAnchorSearch } from './native-anchor-search.js';
import type { NdbSignature } from './ndb-line.js';
import { BodyStreamScan, MAX_STREAM_SPAN, type StreamWindow } from './body-stream-scan.js';
import { LOCAL_CHECK_BUDGET, type AnchorMatcher, type BodyScanWork, type BodySignature } from './body-signature.js';
import { maxLength } from './steps.js';
import { targetAllows } from './target-type.js';

export type { AnchorMatcher, BodyScanWork } from './body-signature.js';

export interface BodyMatcherOptions extends AhoCorasickOptions {
  /** Groups with at most this many anchors are searched with Buffer.indexOf (default 8). */
  nativeAnchorLimit?: number;
}

const DEFAULT_NATIVE_ANCHOR_LIMIT = 8;


export class BodyDatabase {
  private readonly signatures: BodySignature[] = [];
  /** Per signature: the window a streamed scan needs for it, undefined when it cannot be streamed. */
  private readonly streamWindows: Array<StreamWindow | undefined> = [];
  private anchorIds = new Map<string, number>();
  private anchors: Buffer[] = [];
  private signaturesByAnchor: number[][] = [];
  /** Per detected type; null: no signature applies to the type. Built on the first need. */
  private matchers: Map<DetectedType, AnchorMatcher | null> | undefined;

  constructor(private readonly options: BodyMatcherOptions = {}) {}

  /** Throws HexPatternError when the signature has no usable anchor. */
  add(signature: NdbSignature): void {
    const pattern = compilePattern(signature.tokens);
    const index = this.signatures.length;
    this.signatures.push({
      name: signature.name,
      target: signature.target,
      offset: signature.offset,
      pattern,
      anchorDecides: anchorDecides(pattern, signature.offset),
    });
    this.streamWindows.push(streamWindowOf(this.signatures[index]));
    const key = pattern.anchor.bytes.toString('latin1');
    let anchorId = this.anchorIds.get(key);
    if (anchorId === undefined) {
      anchorId = this.signaturesByAnchor.length;
      this.anchorIds.set(key, anchorId);
      this.anchors.push(pattern.anchor.bytes);
      this.signaturesByAnchor.push([]);
    }
    this.signaturesByAnchor[anchorId].push(index);
    this.matchers = undefined;
  }

  get size(): number {
    return this.signatures.length;
  }

  private built(): Map<DetectedType, AnchorMatcher | null> {
    if (this.matchers) return this.matchers;
    const byAnchorSet = new Map<string, AnchorMatcher | null>();
    const matchers = new Map<DetectedType, AnchorMatcher | null>();
    for (const type of DETECTED_TYPES) {
      const ids = this.signaturesByAnchor.flatMap((indexes, anchorId) => (indexes.some((index) => targetAllows(this.signatures[index].target, type)) ? [anchorId] : []));
      const key = ids.join(',');
      let matcher = byAnchorSet.get(key);
      if (matcher === undefined) {
        matcher = this.matcherOver(ids);
        byAnchorSet.set(key, matcher);
      }
      matchers.set(type, matcher);
    }
    this.matchers = matchers;
    return matchers;
  }

  private matcherOver(ids: number[]): AnchorMatcher | null {
    if (ids.length === 0) return null;
    if (ids.length <= (this.options.nativeAnchorLimit ?? DEFAULT_NATIVE_ANCHOR_LIMIT)) {
      const needles = ids.map((id) => anchorNeedle(this.signaturesByAnchor[id].map((index) => this.signatures[index].pattern)));
      return { kind: 'native', search: new NativeAnchorSearch(needles, ids) };
    }
    return { kind: 'automaton', automaton: new AhoCorasick(ids.map((id) => this.anchors[id]), this.options), anchorIds: Uint32Array.from(ids) };
  }

  /** Builds the matchers now (otherwise on the first scan); what each group of types uses. */
  prepare(): Array<{ types: DetectedType[]; anchors: number; layout: string; states?: number }> {
    const groups = new Map<AnchorMatcher | null, DetectedType[]>();
    for (const [type, matcher] of this.built()) groups.set(matcher, [...(groups.get(matcher) ?? []), type]);
    return [...groups].map(([matcher, types]) => {
      if (matcher === null) return { types, anchors: 0, layout: 'none' };
      if (matcher.kind === 'native') return { types, anchors: matcher.search.anchorCount, layout: 'native' };
      return { types, anchors: matcher.anchorIds.length, layout: matcher.automaton.layout, states: matcher.automaton.stateCount };
    });
  }

  /** The matcher files of this detected type go through; null when no signature applies to the type. */
  matcherFor(detectedType: DetectedType): AnchorMatcher | null {
    return this.built().get(detectedType) ?? null;
  }

  startScan(data: Buffer, detectedType: DetectedType): BodyScan {
    return new BodyScan(this.matcherFor(detectedType), this.signatures, this.signaturesByAnchor, data, detectedType);
  }

  /**
   * A scan of a file of this type fed slice by slice. Signatures that need more than a bounded window
   * (several segments, a fixed offset, a long match) make it ask for the whole file if their anchor occurs.
   */
  startStreamScan(detectedType: DetectedType): BodyStreamScan {
    const windows = new Map<number, StreamWindow>();
    const wholeFile = new Set<number>();
    for (let index = 0; index < this.signatures.length; index++) {
      if (!targetAllows(this.signatures[index].target, detectedType)) continue;
      const window = this.streamWindows[index];
      if (window) windows.set(index, window);
      else wholeFile.add(index);
    }
    return new BodyStreamScan(this.matcherFor(detectedType), this.signatures, this.signaturesByAnchor, windows, wholeFile);
  }
}

function streamWindowOf(signature: BodySignature): StreamWindow | undefined {
  if (!signature.anchorDecides) return undefined;
  const { anchor, segments } = signature.pattern;
  const span = maxLength(segments[0].steps);
  if (span > MAX_STREAM_SPAN) return undefined;
  return { before: maxLength(anchor.beforeReversed), after: maxLength(anchor.after), span };
}


export class BodyScan {
  private state = 0;
  readonly work: BodyScanWork = { anchorHits: 0, localChecks: 0, wholeFileChecks: 0 };
  private readonly failedChecks = new Map<number, number>();
  private readonly matched = new Set<number>();
  /** Signatures already settled by a whole-file evaluation (matched or not). */
  private readonly settled = new Set<number>();
  private readonly onMatch = (anchorId: number, end: number): void => this.verify(anchorId, end);
  private readonly onAutomatonMatch = (pattern: number, end: number): void => this.verify((this.matcher as { anchorIds: Uint32Array }).anchorIds[pattern], end);
  /** An anchor is searched while one of its signatures applies and is not decided yet. */
  private readonly wanted = (anchorId: number): boolean =>
    this.signaturesByAnchor[anchorId].some((index) => !this.matched.has(index) && !this.settled.has(index) && targetAllows(this.signatures[index].target, this.detectedType));

  constructor(
    private readonly matcher: AnchorMatcher | null,
    private readonly signatures: readonly BodySignature[],
    private readonly signaturesByAnchor: readonly number[][],
    private readonly data: Buffer,
    private readonly detectedType: DetectedType,
  ) {}

  /** False when no signature applies to the file's type: feeding it does nothing. */
  get searching(): boolean {
    return this.matcher !== null;
  }

  /** Runs data[start, end) through the matcher; slices must follow each other. */
  feed(start: number, end: number): void {
    if (this.matcher === null) return;
    if (this.matcher.kind === 'native') this.matcher.search.scan(this.data, start, end, this.onMatch, this.wanted);
    else this.state = this.matcher.automaton.scan(this.data, start, end, this.state, this.onAutomatonMatch);
  }

  /** Names (raw, without suffix) of the signatures found so far, in database order. */
  names(): string[] {
    return [...this.matched].sort((a, b) => a - b).map((index) => this.signatures[index].name);
  }

  private verify(anchorId: number, end: number): void {
    this.work.anchorHits++;
    for (const index of this.signaturesByAnchor[anchorId]) {
      if (this.matched.has(index) || this.settled.has(index)) continue;
      const signature = this.signatures[index];
      if (!targetAllows(signature.target, this.detectedType)) continue;
      if (signature.offset.kind === 'any') {
        const failed = this.failedChecks.get(index) ?? 0;
        if (failed < LOCAL_CHECK_BUDGET) {
          this.work.localChecks++;
          if (!matchesAroundAnchor(signature.pattern, this.data, end)) {
            this.failedChecks.set(index, failed + 1);
            continue;
          }
          if (signature.anchorDecides) {
            this.matched.add(index);
            continue;
          }
        }
      }
      this.settled.add(index);
      this.work.wholeFileChecks++;
      if (matchesWholeFile(signature.pattern, signature.offset, this.data)) this.matched.add(index);
    }
  }
}
