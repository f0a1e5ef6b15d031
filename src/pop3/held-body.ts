import type { BodyContext, EngineOutput } from '../protocol/engine.js';
import { DotUnstuffer } from './dot-stuffing.js';

export type UnscannedReason = 'too-large' | 'hold-timeout';

/**
 * A RETR/TOP reply from its +OK line until the client has it. The client sees nothing of it (nor of
 * anything after it) until it is released at the front of the client output.
 *
 *   receiving ──bodyEnd──► scanning ──scanned()──► ready ──► released (status, content, terminator)
 *   receiving, unscanned ─┬─ at the front ──► streaming (status, content so far, then raw server bytes)
 *                         └─ completes behind another hold ──► ready (no scan)
 */
export class HeldBody {
  phase: 'receiving' | 'scanning' | 'ready' | 'streaming' = 'receiving';
  /** Un-stuffed bytes handed to the session with bodyData. */
  contentBytes = 0;
  unscanned: UnscannedReason | undefined;
  /** When this reply started holding up the client (reached the front of the client output). */
  holdSinceMs: number | undefined;
  scanTimeoutReported = false;
  /** The scan replaced the content (which then needs stuffing whatever the server sent). */
  private replaced = false;
  readonly reader = new DotUnstuffer();

  constructor(
    readonly bodyId: number,
    readonly context: BodyContext,
    private readonly statusLine: Buffer,
  ) {}

  /** The terminator was read: the body waits for its scan, or, unscanned, is ready as it is. */
  complete(): void {
    this.phase = this.unscanned === undefined ? 'scanning' : 'ready';
  }

  scanned(changed: boolean): void {
    this.phase = 'ready';
    this.replaced = changed;
  }

  /**
   * Called while this reply is the first thing the client is waiting for. Emits what the client may have
   * now and returns true when the client output no longer needs to keep this item.
   */
  releaseAtFront(emit: (output: EngineOutput) => void, nowMs: number | undefined): boolean {
    const bodyId = this.bodyId;
    if (this.phase === 'ready') {
      emit({ kind: 'toClient', bytes: this.statusLine });
      // Content the server sent without any stuffed line, unchanged by the scan, goes out as it came:
      // stuffing it again would search every byte for line-starting dots that are not there.
      const encoding = this.replaced || this.reader.unstuffedAny ? 'pop3-dot-stuffed' : 'raw';
      emit({ kind: 'bodyToClient', bodyId, encoding });
      emit({ kind: 'toClient', bytes: this.reader.terminator ?? Buffer.from('.\r\n') });
      emit({ kind: 'bodyRelease', bodyId });
      return true;
    }
    if (this.phase === 'receiving' && this.unscanned !== undefined) {
      // The session stuffs content [0, contentBytes) without end(); the raw server bytes that follow
      // start exactly where that content ends, beginning with any undecided "." or ".\r".
      emit({ kind: 'toClient', bytes: this.statusLine });
      if (this.contentBytes > 0) {
        emit({ kind: 'bodyToClient', bodyId, encoding: 'pop3-dot-stuffed', start: 0, end: this.contentBytes });
      }
      const undecided = this.reader.pendingRaw();
      if (undecided.length > 0) emit({ kind: 'toClient', bytes: undecided });
      this.phase = 'streaming';
      return true;
    }
    this.holdSinceMs ??= nowMs;
    return false;
  }
}
