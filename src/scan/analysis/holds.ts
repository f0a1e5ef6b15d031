// The live registry of messages held for stage 2 (HoldControl): what `inboxguard holds` lists and acts
// on through the control endpoint. A hold ends once, by whichever comes first: every verdict, the
// maximum wait, the client that cannot wait (POP3), `holds release`, `holds block`.
import { randomBytes } from 'node:crypto';
import type { HoldControl, HoldInfo } from '../../types/holds.js';

export type HoldEnd =
  | { kind: 'answered' }
  | { kind: 'timeout' }
  | { kind: 'released' }
  | { kind: 'blocked' };

export type HoldDescription = Omit<HoldInfo, 'id' | 'since' | 'timeLeftSeconds'>;

export class HeldMessage {
  readonly id = randomBytes(6).toString('hex');
  readonly since = Date.now();
  /** Resolves with how the hold ended. */
  readonly ended: Promise<HoldEnd>;
  private settle!: (end: HoldEnd) => void;
  private endedBy?: HoldEnd;

  constructor(
    readonly description: HoldDescription,
    readonly maxWaitMs: number,
  ) {
    this.ended = new Promise((resolve) => (this.settle = resolve));
  }

  get open(): boolean {
    return this.endedBy === undefined;
  }

  /** False when the hold had already ended. */
  end(end: HoldEnd): boolean {
    if (this.endedBy) return false;
    this.endedBy = end;
    this.settle(end);
    return true;
  }

  info(now = Date.now()): HoldInfo {
    return {
      ...this.description,
      id: this.id,
      since: new Date(this.since).toISOString(),
      timeLeftSeconds: Math.max(0, Math.ceil((this.since + this.maxWaitMs - now) / 1000)),
    };
  }
}

export class HoldRegistry implements HoldControl {
  private readonly holds = new Map<string, HeldMessage>();

  /** Registers a hold; it leaves the registry when it ends. The caller ends it at the maximum wait. */
  open(description: HoldDescription, maxWaitMs: number): HeldMessage {
    const held = new HeldMessage(description, maxWaitMs);
    this.holds.set(held.id, held);
    void held.ended.then(() => this.holds.delete(held.id));
    return held;
  }

  list(): HoldInfo[] {
    const now = Date.now();
    return [...this.holds.values()].filter((held) => held.open).map((held) => held.info(now));
  }

  release(id: string): boolean {
    return this.holds.get(id)?.end({ kind: 'released' }) ?? false;
  }

  block(id: string): boolean {
    return this.holds.get(id)?.end({ kind: 'blocked' }) ?? false;
  }
}
