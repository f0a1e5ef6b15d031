// Accounting of the bytes sessions hold in memory, against a budget per session and one for the whole
// process. Pure bookkeeping: the spool asks before it keeps bytes in memory (and spills to disk when the
// answer is no), the session reports what the engine queues; tests assert on these counters, not on RSS.
import { PROCESS_MEMORY_BYTES, type MemoryLimits } from './limits.js';

export interface MemoryCounters {
  /** Bytes held now. */
  held: number;
  /** Most bytes held at any moment. */
  peak: number;
  /** Bytes the budget refused (each refusal made a body spill to disk, or fail when it could not). */
  refused: number;
}

/** The whole process: the sum over its sessions. */
export class ProcessMemory {
  private heldBytes = 0;
  private peakBytes = 0;
  private refusedBytes = 0;
  private sessionPeakBytes = 0;

  constructor(readonly limit: number = PROCESS_MEMORY_BYTES) {}

  /** `sessionPeak`: the most any one session ever held. */
  get counters(): MemoryCounters & { sessionPeak: number } {
    return { held: this.heldBytes, peak: this.peakBytes, refused: this.refusedBytes, sessionPeak: this.sessionPeakBytes };
  }

  /** A session's share, with the session budget and the other limits in `limits`. */
  openSession(limits: Pick<MemoryLimits, 'sessionBytes' | 'diskWriteWindowBytes' | 'scansWaiting'>): SessionMemory {
    return new SessionMemory(this, limits);
  }

  /** @internal used by SessionMemory */
  fits(bytes: number): boolean {
    return this.heldBytes + bytes <= this.limit;
  }

  /** @internal used by SessionMemory */
  add(bytes: number): void {
    this.heldBytes += bytes;
    if (this.heldBytes > this.peakBytes) this.peakBytes = this.heldBytes;
  }

  /** @internal used by SessionMemory */
  sessionHeld(bytes: number): void {
    if (bytes > this.sessionPeakBytes) this.sessionPeakBytes = bytes;
  }

  /** @internal used by SessionMemory */
  refuse(bytes: number): void {
    this.refusedBytes += bytes;
  }
}

/** The memory shared by every proxy session in this process. */
export const processMemory = new ProcessMemory();

/**
 * One session's share. Bytes are either reserved (kept only when both budgets allow) or forced (held
 * regardless: bytes already in memory that must stay there a moment longer, e.g. on their way to disk).
 */
export class SessionMemory {
  private heldBytes = 0;
  private peakBytes = 0;
  private refusedBytes = 0;
  private queuedBytes = 0;
  private writingBytes = 0;
  private waitingScans = 0;
  private closed = false;
  private reliefListener: (() => void) | undefined;

  constructor(
    private readonly process: ProcessMemory,
    readonly limits: Pick<MemoryLimits, 'sessionBytes' | 'diskWriteWindowBytes' | 'scansWaiting'>,
  ) {}

  get counters(): MemoryCounters & { writing: number; scansWaiting: number } {
    return { held: this.heldBytes, peak: this.peakBytes, refused: this.refusedBytes, writing: this.writingBytes, scansWaiting: this.waitingScans };
  }

  /** True when the session, or the process, holds more than its budget. */
  get overBudget(): boolean {
    return this.heldBytes > this.limits.sessionBytes || !this.process.fits(0);
  }

  /**
   * True while the session should stop reading from the server: too many bytes on their way to disk,
   * or too many complete bodies waiting for a scan. Both clear on their own (writes end, scans settle).
   */
  get pauseUpstream(): boolean {
    return this.writingBytes > this.limits.diskWriteWindowBytes || this.waitingScans >= this.limits.scansWaiting;
  }

  /** Called whenever pauseUpstream may have turned false. */
  onRelief(listener: () => void): void {
    this.reliefListener = listener;
  }

  /** Keeps `bytes` in memory if both budgets allow; false (and nothing held) otherwise. */
  reserve(bytes: number): boolean {
    if (this.closed || this.heldBytes + bytes > this.limits.sessionBytes || !this.process.fits(bytes)) {
      this.refusedBytes += bytes;
      this.process.refuse(bytes);
      return false;
    }
    this.add(bytes);
    return true;
  }

  /** Holds `bytes` that are in memory whatever the budgets say. */
  force(bytes: number): void {
    this.add(bytes);
  }

  release(bytes: number): void {
    const released = Math.min(bytes, this.heldBytes);
    this.heldBytes -= released;
    this.process.add(-released);
  }

  /** Bytes handed to a spool file's stream and not yet written. */
  writing(delta: number): void {
    const before = this.pauseUpstream;
    this.writingBytes = Math.max(0, this.writingBytes + delta);
    if (before && !this.pauseUpstream) this.reliefListener?.();
  }

  /** A complete body starts (+1) or ends (-1) waiting for its scan. */
  scanWaiting(delta: 1 | -1): void {
    const before = this.pauseUpstream;
    this.waitingScans = Math.max(0, this.waitingScans + delta);
    if (before && !this.pauseUpstream) this.reliefListener?.();
  }

  /** The engine's client-bound bytes queued behind a held body (its queuedClientBytes), held in memory too. */
  setQueuedClientBytes(bytes: number): void {
    if (this.closed || bytes === this.queuedBytes) return;
    const delta = bytes - this.queuedBytes;
    this.queuedBytes = bytes;
    if (delta > 0) this.force(delta);
    else this.release(-delta);
  }

  /** The session ended: everything it still counts is given back. Spools disposed later release nothing twice. */
  close(): void {
    if (this.closed) return;
    this.release(this.heldBytes);
    this.queuedBytes = 0;
    this.closed = true;
    this.reliefListener = undefined;
  }

  private add(bytes: number): void {
    if (this.closed) return;
    this.heldBytes += bytes;
    if (this.heldBytes > this.peakBytes) {
      this.peakBytes = this.heldBytes;
      this.process.sessionHeld(this.heldBytes);
    }
    this.process.add(bytes);
  }
}
