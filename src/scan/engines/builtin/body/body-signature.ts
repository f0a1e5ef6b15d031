// What a body scan, whole or streamed, works with: a compiled .ndb signature, the matcher its
// anchors are found with, and the verification work it counts.
import type { AhoCorasick } from './aho-corasick.js';
import type { CompiledPattern } from './compiled-signature.js';
import type { NativeAnchorSearch } from './native-anchor-search.js';
import type { SignatureOffset } from './signature-offset.js';
import type { TargetFilter } from './target-type.js';

export interface BodySignature {
  name: string;
  target: TargetFilter;
  offset: SignatureOffset;
  pattern: CompiledPattern;
  anchorDecides: boolean;
}

/** How the anchors of one group of detected types are found: automaton patterns map to anchor ids. */
export type AnchorMatcher = { kind: 'native'; search: NativeAnchorSearch } | { kind: 'automaton'; automaton: AhoCorasick; anchorIds: Uint32Array };

/**
 * Local checks a signature may fail in one file before it is settled by one whole-file evaluation
 * instead: an anchor like 41414141 in a file full of 'A's must not cost a check per byte.
 */
export const LOCAL_CHECK_BUDGET = 1000;

/** The verification work of one scan: what degenerate data can make grow, counted for tests. */
export interface BodyScanWork {
  /** Anchor occurrences the automaton reported. */
  anchorHits: number;
  /** Checks of a signature around one anchor occurrence. */
  localChecks: number;
  /** Evaluations of a signature over the whole file. */
  wholeFileChecks: number;
}
