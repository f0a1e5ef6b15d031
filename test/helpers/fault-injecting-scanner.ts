import type { BodyContext } from '../../src/protocol/engine.js';
import type { BodyScanner, BodyScanResult, SpooledBody } from '../../src/scan/body-scanner.js';
import { MARKER, markerScanner } from './marker-scanner.js';

/** What the scanner does wrong for a body of a given user. */
export type InjectedFault = 'throw' | 'reject';

/**
 * A FAULT-INJECTING scanner for tests: scans like markerScanner (every MARKER replaced by X's), but
 * can hold marked bodies until release(), fail on purpose for chosen users (a synchronous throw or a
 * rejected promise — what a real scanner never does), and counts what it was asked to do.
 */
export class FaultInjectingScanner implements BodyScanner {
  started = 0;
  settled = 0;
  timedOutCalls = 0;
  /** Users whose bodies make the scanner fail. */
  readonly faults = new Map<string, InjectedFault>();
  private readonly inner = markerScanner();
  private holding = false;
  private heldWaiters: (() => void)[] = [];
  private startWaiters: { count: number; resolve: () => void }[] = [];

  /** Marked bodies wait for release() from now on. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    const waiters = this.heldWaiters;
    this.heldWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once `count` scans have started. */
  whenStarted(count: number): Promise<void> {
    if (this.started >= count) return Promise.resolve();
    return new Promise((resolve) => this.startWaiters.push({ count, resolve }));
  }

  scan(body: SpooledBody, context: BodyContext): Promise<BodyScanResult> {
    this.started += 1;
    for (const waiter of this.startWaiters.filter((candidate) => candidate.count <= this.started)) waiter.resolve();
    const fault = context.user === undefined ? undefined : this.faults.get(context.user);
    if (fault === 'throw') throw new Error('fault injected: scanner threw');
    if (fault === 'reject') return Promise.reject(new Error('fault injected: scanner rejected'));
    return this.scanHeld(body, context);
  }

  timedOut(): BodyScanResult {
    this.timedOutCalls += 1;
    return { changed: false };
  }

  private async scanHeld(body: SpooledBody, context: BodyContext): Promise<BodyScanResult> {
    const content = await body.readAll();
    if (this.holding && content.includes(MARKER)) await new Promise<void>((resolve) => this.heldWaiters.push(resolve));
    const result = await this.inner.scan(body, context);
    this.settled += 1;
    return result;
  }
}
