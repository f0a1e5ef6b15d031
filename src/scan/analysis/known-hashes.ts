// Keeps the KnownHashFilter of the verdict store up to date in the main thread: every verdict stored
// (stage 2, holds block, verdicts shared by other machines) is added as it is stored, before any scan
// that starts later. Forgotten verdicts stay in the filter until it is rebuilt (a false hit costs one
// lookup, never a wrong answer). When the entries outgrow it, a filter twice the size is built from the
// store and handed to the scan workers (onReplaced), each before its next scan request.
//
// It hears the writes of this process's VerdictStore: in this project only the proxy stores verdicts
// (the CLI's `verdicts forget` goes through the proxy, and a forget cannot make the filter wrong).
import type { VerdictStore } from '../../store/verdicts.js';
import { KnownHashFilter } from './known-hash-filter.js';

/** Entries a fresh filter has room for: the store's count times this (and at least MIN_ENTRIES). */
const GROWTH = 2;
const MIN_ENTRIES = 4096;

export class KnownHashes {
  private filter!: KnownHashFilter;
  private entries = 0;
  private room = 0;
  private readonly listeners: ((buffer: SharedArrayBuffer) => void)[] = [];
  private readonly unsubscribe: () => void;
  /** Filters built, the first one included (for tests). */
  rebuilds = 0;

  constructor(private readonly store: VerdictStore) {
    this.rebuild();
    this.unsubscribe = store.onStored((sha256, size) => this.add(sha256, size));
  }

  /** The current filter's memory, for a worker that starts now. */
  get buffer(): SharedArrayBuffer {
    return this.filter.buffer;
  }

  /** Hears each new filter (the old one is no longer filled). */
  onReplaced(listener: (buffer: SharedArrayBuffer) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.unsubscribe();
  }

  private add(sha256: string, size: number | undefined): void {
    this.entries++;
    if (this.entries <= this.room) return this.filter.add(sha256, size);
    // The verdict is committed before onStored is told, so the new filter has it.
    this.rebuild();
    for (const listener of this.listeners) listener(this.filter.buffer);
  }

  private rebuild(): void {
    const count = this.store.count();
    this.room = Math.max(MIN_ENTRIES, count * GROWTH);
    const filter = KnownHashFilter.forEntries(this.room);
    this.store.forEachSha256((sha256, size) => filter.add(sha256, size));
    this.filter = filter;
    this.entries = count;
    this.rebuilds++;
  }
}
