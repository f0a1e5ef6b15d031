// Which SHA-256s the verdict store may hold, on shared memory: a Bloom filter the main thread fills
// (KnownHashes) and the scan workers read, so a worker asks the main thread for a part's verdict only
// when the store may have one. Almost every part is new to the store, and "not there" is then answered
// in the worker without a message each way. A false "may be there" costs just that round trip.
//
// The filter's bits come straight from the SHA-256 itself (uniform): each of its eight 32-bit words
// picks one bit. Sized at 16 bits per entry, eight bits per entry give about 1 false hit in 1,700.

const BITS_PER_ENTRY = 16;
const MIN_BITS = 1 << 15;
/** Eight 32-bit slices of the 64 hex digits. */
const PROBES = 8;
/** Hex digit values by character code (lowercase only, as the store keys them). */
const HEX = new Int8Array(128);
for (let digit = 0; digit < 16; digit++) HEX['0123456789abcdef'.charCodeAt(digit)] = digit;

export class KnownHashFilter {
  private readonly words: Int32Array;
  private readonly mask: number;

  /** `buffer`: one made by forEntries (in either thread). */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
    this.mask = this.words.length * 32 - 1;
  }

  /** An empty filter for up to `entries` hashes at the false-hit rate above. */
  static forEntries(entries: number): KnownHashFilter {
    let bits = MIN_BITS;
    while (bits < entries * BITS_PER_ENTRY && bits < 2 ** 31) bits *= 2;
    return new KnownHashFilter(new SharedArrayBuffer(bits / 8));
  }

  /** `sha256`: 64 lowercase hex digits (as the verdict store keys them). */
  add(sha256: string): void {
    for (let probe = 0; probe < PROBES; probe++) {
      const bit = this.bitOf(sha256, probe);
      Atomics.or(this.words, bit >>> 5, 1 << (bit & 31));
    }
  }

  /** False: the store holds no verdict for it. True: it may (ask the store). */
  mayContain(sha256: string): boolean {
    for (let probe = 0; probe < PROBES; probe++) {
      const bit = this.bitOf(sha256, probe);
      if ((Atomics.load(this.words, bit >>> 5) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  // Read digit by digit: slice + parseInt costs about ten times as much, and a rebuild reads every hash.
  private bitOf(sha256: string, probe: number): number {
    let value = 0;
    for (let index = probe * 8; index < probe * 8 + 8; index++) value = (value << 4) | HEX[sha256.charCodeAt(index)];
    return value & this.mask;
  }
}
