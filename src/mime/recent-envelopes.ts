// The envelopes of recently read header blocks, keyed by the exact bytes mailparser was given: a client
// that fetches a message again, another section of it, or from a second device is not parsed again.
// An envelope depends on those bytes alone, except a Date mailparser cannot read, which it reports as
// the time of parsing; the caller does not keep those.
/** Larger header blocks are parsed every time (they are rare, and each would crowd out many small ones). */
export const RECENT_ENVELOPE_MAX_BLOCK_BYTES = 8 * 1024;
/** Header bytes kept in all, per thread. */
export const RECENT_ENVELOPE_BUDGET_BYTES = 1024 * 1024;

/** `copy`: what a reader gets of a kept value, so that no reader changes another's. */
export class RecentEnvelopes<T> {
  /** In use order, least recent first. */
  private readonly entries = new Map<string, T>();
  private bytes = 0;

  constructor(
    private readonly copy: (value: T) => T,
    private readonly budgetBytes = RECENT_ENVELOPE_BUDGET_BYTES,
  ) {}

  /** The key of a header block, or undefined when a block this large is not kept. */
  keyOf(headerBlock: Buffer): string | undefined {
    return headerBlock.length <= RECENT_ENVELOPE_MAX_BLOCK_BYTES ? headerBlock.toString('latin1') : undefined;
  }

  /** A copy the caller may change. */
  get(key: string): T | undefined {
    const envelope = this.entries.get(key);
    if (envelope === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, envelope);
    return this.copy(envelope);
  }

  set(key: string, envelope: T): void {
    if (this.entries.has(key)) return;
    this.entries.set(key, this.copy(envelope));
    this.bytes += key.length;
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.bytes -= oldest.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
