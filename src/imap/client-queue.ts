import type { EngineOutput } from '../protocol/engine.js';

// Everything bound for the client passes through this queue, in wire order. Most of the time it is
// empty and bytes go straight out. It fills up while a FETCH response waits for a scan verdict:
// that response is held from its first byte (so an untagged keep-alive can still be sent before
// it) and everything behind it waits its turn. Responses are never reordered.

/** A piece whose bytes are decided later (a re-framed literal, a rewritten RFC822.SIZE …). */
export abstract class Deferred {
  private resolvedFlag: boolean;
  private queue: ClientQueue | undefined;
  private hold: HeldResponse | undefined;

  constructor(ready: boolean) {
    this.resolvedFlag = ready;
  }

  get ready(): boolean {
    return this.resolvedFlag;
  }

  /** Called by the queue when the piece is appended. */
  attach(queue: ClientQueue, hold: HeldResponse | undefined): void {
    this.queue = queue;
    this.hold = hold;
    if (!this.resolvedFlag && hold) hold.pending++;
  }

  /** The piece can now be rendered; lets the queue move on. */
  resolve(): void {
    if (this.resolvedFlag) return;
    this.resolvedFlag = true;
    if (this.hold) this.hold.pending--;
    this.queue?.flush();
  }

  /** Emits the client-bound outputs for this piece, in order. Called once, when the queue reaches it. */
  abstract render(emit: (out: EngineOutput) => void): void;
}

/** Marks the start of a response that must not begin until none of its pieces is pending. */
export class HeldResponse {
  pending = 0;
  /** When the queue first stopped in front of this response (engine clock), for keep-alives. */
  heldSince: number | undefined;
  lastKeepalive: number | undefined;
}

type QueueItem = Buffer | Deferred | HeldResponse | { output: EngineOutput };

const COMPACT_AT = 1024;

export class ClientQueue {
  /** Undefined while empty, which is most of the time. */
  private items: QueueItem[] | undefined;
  private head = 0;
  private queuedBytesCount = 0;
  private flushing = false;
  /** The engine's clock, set by its tick (for when a held response started waiting). */
  now: number | undefined;

  constructor(private readonly emit: (out: EngineOutput) => void) {}

  get idle(): boolean {
    return this.items === undefined;
  }

  /** Client-bound bytes waiting behind a held response. */
  get queuedBytes(): number {
    return this.queuedBytesCount;
  }

  bytes(buf: Buffer): void {
    if (buf.length === 0) return;
    if (this.idle) {
      this.emit({ kind: 'toClient', bytes: buf });
      return;
    }
    this.append(buf);
    this.queuedBytesCount += buf.length;
  }

  output(out: EngineOutput): void {
    if (this.idle) this.emit(out);
    else this.append({ output: out });
  }

  /**
   * Opens a response. Append its first pieces, then call flush(): pieces still pending at that
   * point hold the whole response back, so nothing of it reaches the client before they resolve.
   */
  startResponse(hold: HeldResponse): void {
    this.append(hold);
  }

  deferred(piece: Deferred, hold: HeldResponse | undefined): void {
    piece.attach(this, hold);
    if (this.idle && piece.ready) {
      piece.render(this.emit);
      return;
    }
    this.append(piece);
  }

  private append(item: QueueItem): void {
    (this.items ??= []).push(item);
  }

  /** The response the queue is waiting in front of, if it has not started; a keep-alive may precede it. */
  heldResponse(): HeldResponse | undefined {
    const first = this.items?.[this.head];
    return first instanceof HeldResponse && first.pending > 0 ? first : undefined;
  }

  flush(): void {
    const items = this.items;
    if (this.flushing || items === undefined) return;
    this.flushing = true;
    try {
      while (this.head < items.length) {
        const item = items[this.head];
        if (item instanceof HeldResponse) {
          if (item.pending > 0) {
            item.heldSince ??= this.now;
            break;
          }
        } else if (item instanceof Deferred) {
          if (!item.ready) break;
          item.render(this.emit);
        } else if (Buffer.isBuffer(item)) {
          this.queuedBytesCount -= item.length;
          this.emit({ kind: 'toClient', bytes: item });
        } else {
          this.emit(item.output);
        }
        this.head++;
      }
    } finally {
      this.flushing = false;
    }
    if (this.head === items.length) {
      this.items = undefined;
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
  }
}
