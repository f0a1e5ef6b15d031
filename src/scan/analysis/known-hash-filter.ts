// Which SHA-256s the verdict store may hold, on shared memory: a Bloom filter the main thread fills
// (KnownHashes) and the scan workers read, so a worker asks the main thread for a part's verdict only
// when the store may have one. Almost every part is new to the store, and "not there" is then answered
// in the worker without a message each way. A false "may be there" costs just that round trip.
//
// The filter's bits come straight from the SHA-256 itself (uniform): each of its eight 32-bit words
// picks one bit. Sized at 16 bits per entry, eight bits per entry give about 1 false hit in 1,700.
//
// Beside it, as many bits again for the decoded sizes of the parts the verdicts are about (two bits per
// size), and a count of verdicts stored without a size: a worker hashes a part only when some stored
// verdict may have its size, or some verdict has none (until the filter is rebuilt from a store in
// which every verdict has one). Most parts then are neither hashed nor looked up.

const BITS_PER_ENTRY = 16;
const MIN_BITS = 1 << 15;
/** Eight 32-bit slices of the 64 hex digits. */
const PROBES = 8;
/** Hex digit values by character code (lowercase only, as the store keys them). */
const HEX = new Int8Array(128);
for (let digit = 0; digit < 16; digit++) HEX['0123456789abcdef'.charCodeAt(digit)] = digit;
/** After the two bit sets: the count of entries without a size, and the count of all entries. */
const COUNTS_BYTES = 8;
const UNSIZED = 0;
const ENTRIES = 1;

export class KnownHashFilter {
  private readonly words: Int32Array;
  private readonly sizeWords: Int32Array;
  private readonly counts: Int32Array;
  private readonly mask: number;

  /** `buffer`: one made by forEntries (in either thread). */
  constructor(readonly buffer: SharedArrayBuffer) {
    const half = (buffer.byteLength - COUNTS_BYTES) / 2;
    this.words = new Int32Array(buffer, 0, half / 4);
    this.sizeWords = new Int32Array(buffer, half, half / 4);
    this.counts = new Int32Array(buffer, 2 * half, COUNTS_BYTES / 4);
    this.mask = this.words.length * 32 - 1;
  }

  /** An empty filter for up to `entries` hashes at the false-hit rate above. */
  static forEntries(entries: number): KnownHashFilter {
    let bits = MIN_BITS;
    while (bits < entries * BITS_PER_ENTRY && bits < 2 ** 31) bits *= 2;
    return new KnownHashFilter(new SharedArrayBuffer((bits / 8) * 2 + COUNTS_BYTES));
  }

  /** `sha256`: 64 lowercase hex digits (as the verdict store keys them); `size`: the part's decoded size, when known. */
  add(sha256: string, size?: number): void {
    for (let probe = 0; probe < PROBES; probe++) {
      const bit = this.bitOf(sha256, probe);
      Atomics.or(this.words, bit >>> 5, 1 << (bit & 31));
    }
    // The size first, then the count that makes readers look at it.
    if (size === undefined) Atomics.add(this.counts, UNSIZED, 1);
    else for (const bit of this.sizeBits(size)) Atomics.or(this.sizeWords, bit >>> 5, 1 << (bit & 31));
    Atomics.add(this.counts, ENTRIES, 1);
  }

  /**
   * False: no verdict in the store is about a part of `size` decoded bytes, so a part of that size need
   * not be hashed to be looked up. Undefined size (not known before the part is read): false only
   * while the store has no verdict at all.
   */
  mayHoldSize(size: number | undefined): boolean {
    if (Atomics.load(this.counts, UNSIZED) > 0) return true;
    if (size === undefined) return Atomics.load(this.counts, ENTRIES) > 0;
    return this.sizeBits(size).every((bit) => (Atomics.load(this.sizeWords, bit >>> 5) & (1 << (bit & 31))) !== 0);
  }

  /** False: the store holds no verdict for it. True: it may (ask the store). */
  mayContain(sha256: string): boolean {
    for (let probe = 0; probe < PROBES; probe++) {
      const bit = this.bitOf(sha256, probe);
      if ((Atomics.load(this.words, bit >>> 5) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  private sizeBits(size: number): [number, number] {
    const key = (size >>> 0) ^ Math.imul(Math.floor(size / 2 ** 32), 0x27d4eb2f);
    return [mix(key) & this.mask, mix(key ^ 0x5bd1e995) & this.mask];
  }

  // Read digit by digit: slice + parseInt costs about ten times as much, and a rebuild reads every hash.
  private bitOf(sha256: string, probe: number): number {
    let value = 0;
    for (let index = probe * 8; index < probe * 8 + 8; index++) value = (value << 4) | HEX[sha256.charCodeAt(index)];
    return value & this.mask;
  }
}

/** MurmurHash3's finaliser: every input bit moves every output bit. */
function mix(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
