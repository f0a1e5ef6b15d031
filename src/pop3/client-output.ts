import type { EngineOutput } from '../protocol/engine.js';
import type { HeldBody } from './held-body.js';

// Everything bound for the client, in server order. While a RETR/TOP reply is held for scanning, later
// replies queue behind it; they are copied so that a queued view does not pin a large input chunk.

type Item = { bytes: Buffer } | { body: HeldBody } | { close: string };

export class ClientOutput {
  private items: Item[] = [];
  private queuedBytes = 0;

  constructor(private readonly emit: (output: EngineOutput) => void) {}

  /** Bytes waiting behind a held body; a session may stop reading the server while this is large. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Nothing is queued: everything bound for the client has been emitted. */
  get idle(): boolean {
    return this.items.length === 0;
  }

  /** The held body the client is waiting for, if the first item is one. */
  get front(): HeldBody | undefined {
    const first = this.items[0];
    return first !== undefined && 'body' in first ? first.body : undefined;
  }

  send(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.items.length === 0) {
      this.emit({ kind: 'toClient', bytes });
      return;
    }
    this.items.push({ bytes: Buffer.from(bytes) });
    this.queuedBytes += bytes.length;
  }

  hold(body: HeldBody, nowMs: number | undefined): void {
    this.items.push({ body });
    this.flush(nowMs);
  }

  close(reason: string, nowMs: number | undefined): void {
    this.items.push({ close: reason });
    this.flush(nowMs);
  }

  /** Takes back a body that will never be complete; true when it was still queued. */
  withdraw(body: HeldBody): boolean {
    const index = this.items.findIndex((item) => 'body' in item && item.body === body);
    if (index === -1) return false;
    this.items.splice(index, 1);
    return true;
  }

  /** Puts `bytes` where a held body was (it will never be delivered); false when it is not queued. */
  replace(body: HeldBody, bytes: Buffer): boolean {
    const index = this.items.findIndex((item) => 'body' in item && item.body === body);
    if (index === -1) return false;
    this.items[index] = { bytes };
    this.queuedBytes += bytes.length;
    return true;
  }

  flush(nowMs: number | undefined): void {
    let released = 0;
    for (const item of this.items) {
      if ('bytes' in item) {
        this.emit({ kind: 'toClient', bytes: item.bytes });
        this.queuedBytes -= item.bytes.length;
      } else if ('close' in item) {
        this.emit({ kind: 'close', reason: item.close });
      } else if (!item.body.releaseAtFront(this.emit, nowMs)) {
        break;
      }
      released += 1;
    }
    if (released > 0) this.items = this.items.slice(released);
  }
}
