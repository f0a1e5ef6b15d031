// All .ndb signatures of an engine: compiled patterns, and one Aho-Corasick automaton over their
// anchors (signatures sharing an anchor share an automaton pattern). A BodyScan runs one file
// through the automaton slice by slice and verifies each anchor hit.
import type { DetectedType } from '../../../../types/verdict.js';
import { AhoCorasick, type AhoCorasickOptions } from './aho-corasick.js';
import { anchorDecides, compilePattern, matchesAroundAnchor, matchesWholeFile, type CompiledPattern } from './compiled-signature.js';
import type { NdbSignature } from './ndb-line.js';
import type { SignatureOffset } from './signature-offset.js';
import { targetAllows, type TargetFilter } from './target-type.js';

interface BodySignature {
  name: string;
  target: TargetFilter;
  offset: SignatureOffset;
  pattern: CompiledPattern;
  anchorDecides: boolean;
}

export class BodyDatabase {
  private readonly signatures: BodySignature[] = [];
  private anchorIds = new Map<string, number>();
  private signaturesByAnchor: number[][] = [];
  private automaton: AhoCorasick | undefined;

  constructor(private readonly automatonOptions: AhoCorasickOptions = {}) {}

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
    const key = pattern.anchor.bytes.toString('latin1');
    let anchorId = this.anchorIds.get(key);
    if (anchorId === undefined) {
      anchorId = this.signaturesByAnchor.length;
      this.anchorIds.set(key, anchorId);
      this.signaturesByAnchor.push([]);
    }
    this.signaturesByAnchor[anchorId].push(index);
    this.automaton = undefined;
  }

  get size(): number {
    return this.signatures.length;
  }

  private built(): AhoCorasick {
    this.automaton ??= new AhoCorasick(
      [...this.anchorIds.keys()].map((key) => Buffer.from(key, 'latin1')),
      this.automatonOptions,
    );
    return this.automaton;
  }

  /** Builds the automaton now (otherwise on the first scan). */
  prepare(): { states: number; layout: string } {
    const automaton = this.built();
    return { states: automaton.stateCount, layout: automaton.layout };
  }

  startScan(data: Buffer, detectedType: DetectedType): BodyScan {
    return new BodyScan(this.built(), this.signatures, this.signaturesByAnchor, data, detectedType);
  }
}

/**
 * Local checks a signature may fail in one file before it is settled by one whole-file evaluation
 * instead: an anchor like 41414141 in a file full of 'A's must not cost a check per byte.
 */
const LOCAL_CHECK_BUDGET = 1000;

/** The verification work of one scan: what degenerate data can make grow, counted for tests. */
export interface BodyScanWork {
  /** Anchor occurrences the automaton reported. */
  anchorHits: number;
  /** Checks of a signature around one anchor occurrence. */
  localChecks: number;
  /** Evaluations of a signature over the whole file. */
  wholeFileChecks: number;
}

export class BodyScan {
  private state = 0;
  readonly work: BodyScanWork = { anchorHits: 0, localChecks: 0, wholeFileChecks: 0 };
  private readonly failedChecks = new Map<number, number>();
  private readonly matched = new Set<number>();
  /** Signatures already settled by a whole-file evaluation (matched or not). */
  private readonly settled = new Set<number>();
  private readonly onMatch = (anchorId: number, end: number): void => this.verify(anchorId, end);

  constructor(
    private readonly automaton: AhoCorasick,
    private readonly signatures: readonly BodySignature[],
    private readonly signaturesByAnchor: readonly number[][],
    private readonly data: Buffer,
    private readonly detectedType: DetectedType,
  ) {}

  /** Runs data[start, end) through the automaton; slices must follow each other. */
  feed(start: number, end: number): void {
    this.state = this.automaton.scan(this.data, start, end, this.state, this.onMatch);
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
