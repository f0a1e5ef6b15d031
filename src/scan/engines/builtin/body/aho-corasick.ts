// Aho-Corasick automaton over byte strings. Two layouts:
//  - dense: the full DFA as one Uint32Array of states x 256 (one table lookup per input byte); used
//    while the table fits the memory budget (64 MiB, i.e. 65,536 states).
//  - hybrid: full DFA rows only for the root and its children, sorted goto edges plus failure links
//    for deeper states. Scanning random data rarely leaves depth 1, so it stays close to dense speed.
// Both skip ahead while the automaton is shallow (at the root or one byte deep): from there, unless
// the next two bytes begin some pattern, the state after the next byte is the root's transition on
// that byte, whatever came before. A 64 KiB table of the patterns' first byte pairs finds the next
// place where that is not so; scanning random data then costs one table probe per byte, without the
// dependent table walk, and gives exactly the automaton's result.
// When every pattern is at least 4 bytes long (m bytes, counted up to 8), the automaton skips further:
// any occurrence starting in [k-m+3, k] has one of its first m-2 byte triples at k, so probing one
// triple every m-2 bytes against a bit set of those (hashed) triples rules out whole stretches; only
// around a probe that hits does the byte-pair skip above (and the table walk) take over, from the
// first start not ruled out.
// scan() can be called slice by slice, carrying the state between calls.

export type MatchCallback = (patternId: number, end: number) => void;

export interface AhoCorasickOptions {
  /** Above this many states the hybrid layout is used. */
  denseStateLimit?: number;
}

const DEFAULT_DENSE_STATE_LIMIT = 65_536;
const ROOT = 0;
/** Shorter patterns would make the sampled probes too close together to gain anything. */
const MIN_SAMPLED_LENGTH = 4;
/** Pairs from further into the patterns than this would only make probes hit more often. */
const MAX_SAMPLED_LENGTH = 8;
/** Size of the triple bit set: 128 KiB, so that a few thousand patterns leave it mostly empty. */
const TRIPLE_BITS = 1 << 20;

const TRIPLE_HASH = 0x9e3779b1;
const TRIPLE_SHIFT = 12;

/** The hash of bytes a, b, c (in that order in the data), as firstProbeHit computes it from a little-endian read. */
function tripleHash(a: number, b: number, c: number): number {
  return Math.imul((c << 16) | (b << 8) | a, TRIPLE_HASH) >>> TRIPLE_SHIFT;
}

/**
 * From probe position k on, every `step` bytes: the first k whose byte triple is one some anchor holds
 * (or the first k past the data's end). Three bytes from one little-endian 32-bit read while a fourth is
 * there, two probes per round (their tests combined: one branch per two probes), byte by byte at the end.
 */
function firstProbeHit(data: Uint8Array, view: DataView, k: number, end: number, step: number, anyTriples: Int32Array): number {
  const pair = 2 * step;
  while (k + step + 3 < end) {
    const first = Math.imul(view.getUint32(k, true) & 0xffffff, TRIPLE_HASH) >>> TRIPLE_SHIFT;
    const second = Math.imul(view.getUint32(k + step, true) & 0xffffff, TRIPLE_HASH) >>> TRIPLE_SHIFT;
    const firstHit = anyTriples[first >>> 5] & (1 << first);
    if ((firstHit | (anyTriples[second >>> 5] & (1 << second))) !== 0) return firstHit !== 0 ? k : k + step;
    k += pair;
  }
  while (k + 2 < end) {
    if (hasTriple(anyTriples, tripleHash(data[k], data[k + 1], data[k + 2]))) return k;
    k += step;
  }
  return k;
}

/** `1 << h` takes h modulo 32: the bit of h in its 32-bit word. */
function hasTriple(anyTriples: Int32Array, h: number): boolean {
  return (anyTriples[h >>> 5] & (1 << h)) !== 0;
}

export class AhoCorasick {
  readonly stateCount: number;
  readonly layout: 'dense' | 'hybrid';
  private readonly table: Int32Array;
  /** Hybrid only: the table row of a state, or -1 for states using goto edges and failure links. */
  private readonly rowOf: Int32Array;
  private readonly edgeStart: Uint32Array;
  private readonly edgeBytes: Uint8Array;
  private readonly edgeTargets: Uint32Array;
  private readonly fail: Uint32Array;
  /** 1 when reaching the state reports at least one pattern (its own or along the failure chain). */
  private readonly reports: Uint8Array;
  private readonly own: Array<number[] | undefined>;
  /** Nearest state on the failure chain with patterns of its own, or -1. */
  private readonly dictionaryLink: Int32Array;
  /** 1 for the root and its children. */
  private readonly shallow: Uint8Array;
  /** 1 at (first byte << 8 | second byte) of each pattern; a one-byte pattern marks every pair ending in it. */
  private readonly startPairs = new Uint8Array(65_536);
  /** Probe distance of the sampled skip (the shortest pattern's length - 1, capped), or 0 when it is off. */
  private readonly sampleStep: number;
  /** Bit set of the hashed byte triples found within the first sampleStep + 2 bytes of a pattern. */
  private readonly anyTriples = new Int32Array(TRIPLE_BITS >>> 5);

  constructor(patterns: readonly Uint8Array[], options: AhoCorasickOptions = {}) {
    // Trie, with children kept in one map keyed by state * 256 + byte while building.
    const children = new Map<number, number>();
    const own: Array<number[] | undefined> = [undefined];
    const depth: number[] = [0];
    patterns.forEach((pattern, id) => {
      if (pattern.length === 0) throw new Error('AhoCorasick: empty pattern');
      let state = ROOT;
      for (const byte of pattern) {
        const key = state * 256 + byte;
        let next = children.get(key);
        if (next === undefined) {
          next = own.length;
          own.push(undefined);
          depth.push(depth[state] + 1);
          children.set(key, next);
        }
        state = next;
      }
      (own[state] ??= []).push(id);
    });
    const stateCount = own.length;
    this.stateCount = stateCount;
    this.own = own;
    this.shallow = Uint8Array.from(depth, (d) => (d <= 1 ? 1 : 0));
    for (const pattern of patterns) {
      if (pattern.length >= 2) this.startPairs[(pattern[0] << 8) | pattern[1]] = 1;
      else for (let before = 0; before < 256; before++) this.startPairs[(before << 8) | pattern[0]] = 1;
    }
    const shortest = Math.min(MAX_SAMPLED_LENGTH, ...patterns.map((pattern) => pattern.length));
    this.sampleStep = shortest >= MIN_SAMPLED_LENGTH ? shortest - 2 : 0;
    for (const pattern of this.sampleStep > 0 ? patterns : []) {
      for (let at = 0; at < this.sampleStep; at++) {
        const h = tripleHash(pattern[at], pattern[at + 1], pattern[at + 2]);
        this.anyTriples[h >>> 5] |= 1 << h;
      }
    }

    // Goto edges per state, sorted by byte.
    const edgesByState: Array<Array<[number, number]>> = Array.from({ length: stateCount }, () => []);
    for (const [key, target] of children) edgesByState[Math.floor(key / 256)].push([key % 256, target]);
    this.edgeStart = new Uint32Array(stateCount + 1);
    this.edgeBytes = new Uint8Array(children.size);
    this.edgeTargets = new Uint32Array(children.size);
    let edge = 0;
    for (let state = 0; state < stateCount; state++) {
      this.edgeStart[state] = edge;
      for (const [byte, target] of edgesByState[state].sort((a, b) => a[0] - b[0])) {
        this.edgeBytes[edge] = byte;
        this.edgeTargets[edge++] = target;
      }
    }
    this.edgeStart[stateCount] = edge;

    // Failure and dictionary links, breadth first.
    this.fail = new Uint32Array(stateCount);
    this.dictionaryLink = new Int32Array(stateCount).fill(-1);
    this.reports = new Uint8Array(stateCount);
    const order: number[] = [];
    const queue: number[] = [];
    for (const [, child] of edgesByState[ROOT]) queue.push(child);
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head];
      order.push(state);
      const failState = this.fail[state];
      this.dictionaryLink[state] = own[failState] ? failState : this.dictionaryLink[failState];
      this.reports[state] = own[state] || this.dictionaryLink[state] >= 0 ? 1 : 0;
      for (const [byte, child] of edgesByState[state]) {
        let f = failState;
        let next = this.gotoEdge(f, byte);
        while (next < 0 && f !== ROOT) {
          f = this.fail[f];
          next = this.gotoEdge(f, byte);
        }
        this.fail[child] = next >= 0 && next !== child ? next : ROOT;
        queue.push(child);
      }
    }

    const denseLimit = options.denseStateLimit ?? DEFAULT_DENSE_STATE_LIMIT;
    this.layout = stateCount <= denseLimit ? 'dense' : 'hybrid';
    this.rowOf = new Int32Array(stateCount).fill(-1);
    // Dense: row number = state number, so the scan loop needs no indirection.
    const rowStates = this.layout === 'dense' ? [ROOT, ...order] : [ROOT, ...order.filter((s) => depth[s] === 1)];
    this.table = new Int32Array(rowStates.length * 256);
    rowStates.forEach((state, row) => (this.rowOf[state] = this.layout === 'dense' ? state : row));
    // Rows in breadth-first order: a failure state's row is complete before it is copied from.
    for (const state of rowStates) {
      const row = this.rowOf[state] * 256;
      const failRow = state === ROOT ? -1 : this.rowOf[this.fail[state]] * 256;
      for (let byte = 0; byte < 256; byte++) {
        const next = this.gotoEdge(state, byte);
        this.table[row + byte] = next >= 0 ? next : failRow < 0 ? ROOT : this.table[failRow + byte];
      }
    }
  }

  private gotoEdge(state: number, byte: number): number {
    for (let e = this.edgeStart[state]; e < this.edgeStart[state + 1]; e++) {
      if (this.edgeBytes[e] === byte) return this.edgeTargets[e];
      if (this.edgeBytes[e] > byte) break;
    }
    return -1;
  }

  private emit(state: number, end: number, onMatch: MatchCallback): void {
    for (let s = this.own[state] ? state : this.dictionaryLink[state]; s >= 0; s = this.dictionaryLink[s]) {
      for (const id of this.own[s]!) onMatch(id, end);
    }
  }

  /** Feeds data[start, end) from `state` (0 to begin); returns the state to continue from. */
  scan(data: Uint8Array, start: number, end: number, state: number, onMatch: MatchCallback): number {
    return this.layout === 'dense' ? this.scanDense(data, start, end, state, onMatch) : this.scanHybrid(data, start, end, state, onMatch);
  }

  private scanDense(data: Uint8Array, start: number, end: number, state: number, onMatch: MatchCallback): number {
    const table = this.table;
    const reports = this.reports;
    const shallow = this.shallow;
    const startPairs = this.startPairs;
    const anyTriples = this.anyTriples;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const step = this.sampleStep;
    const reach = step - 1;
    let sampleFrom = step > 0 ? start : end;
    let s = state;
    let i = start;
    while (i < end) {
      s = table[(s << 8) | data[i]];
      if (reports[s] !== 0) this.emit(s, i + 1, onMatch);
      i++;
      if (shallow[s] !== 0) {
        if (i >= sampleFrom) {
          // Starts from i - 1 on are still open; a probe at k rules out starts in [k - reach, k].
          const k = firstProbeHit(data, view, i - 1 + reach, end, step, anyTriples);
          if (k - reach > i) {
            i = k - reach;
            s = ROOT;
          }
          sampleFrom = Math.min(end, k + 3);
        }
        // Pair by pair up to where the next probe takes over (the end when sampling is off).
        const from = i;
        while (i < sampleFrom && startPairs[(data[i - 1] << 8) | data[i]] === 0) i++;
        if (i > from) s = table[data[i - 1]];
      }
    }
    return s;
  }

  private scanHybrid(data: Uint8Array, start: number, end: number, state: number, onMatch: MatchCallback): number {
    const table = this.table;
    const rowOf = this.rowOf;
    const reports = this.reports;
    const shallow = this.shallow;
    const startPairs = this.startPairs;
    const anyTriples = this.anyTriples;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const step = this.sampleStep;
    const reach = step - 1;
    let sampleFrom = step > 0 ? start : end;
    let s = state;
    let i = start;
    while (i < end) {
      const byte = data[i];
      for (;;) {
        const row = rowOf[s];
        if (row >= 0) {
          s = table[(row << 8) | byte];
          break;
        }
        const next = this.gotoEdge(s, byte);
        if (next >= 0) {
          s = next;
          break;
        }
        s = this.fail[s];
      }
      if (reports[s] !== 0) this.emit(s, i + 1, onMatch);
      i++;
      if (shallow[s] !== 0) {
        if (i >= sampleFrom) {
          const k = firstProbeHit(data, view, i - 1 + reach, end, step, anyTriples);
          if (k - reach > i) {
            i = k - reach;
            s = ROOT;
          }
          sampleFrom = Math.min(end, k + 3);
        }
        // Pair by pair up to where the next probe takes over (the end when sampling is off).
        const from = i;
        while (i < sampleFrom && startPairs[(data[i - 1] << 8) | data[i]] === 0) i++;
        // The root's row is row 0 in both layouts.
        if (i > from) s = table[data[i - 1]];
      }
    }
    return s;
  }
}
