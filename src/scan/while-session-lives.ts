import type { SpooledBody } from './body-scanner.js';

/** The signal of the part of a scan whose result only the body's session can use (see whileSessionLives). */
export interface SessionScope {
  /** Aborts at the deadline, or when the body is discarded (its session ended). */
  readonly signal: AbortSignal;
  /** The body was discarded while the scope was open: nobody will receive what the scan finds. */
  readonly sessionEnded: boolean;
  /** The scope is over: a body discarded from now on cancels nothing (and costs nothing). */
  close(): void;
}

/**
 * Follows the deadline and the body's session for stage 1 of a scan (waiting for a slot, reading the
 * body, evaluating it, keeping the quarantine's copy): a client that vanishes mid-scan cancels it, which
 * gives its slot and its worker to other sessions at once, instead of scanning for nobody and then
 * reporting the spool file it can no longer read as a failed scan.
 */
export function whileSessionLives(body: SpooledBody, deadline: AbortSignal): SessionScope {
  if (!body.whenDiscarded) return { signal: deadline, sessionEnded: false, close: () => undefined };
  const controller = new AbortController();
  let sessionEnded = false;
  const followDeadline = (): void => controller.abort(deadline.reason);
  if (deadline.aborted) followDeadline();
  else deadline.addEventListener('abort', followDeadline, { once: true });
  const unwatch = body.whenDiscarded(() => {
    sessionEnded = true;
    controller.abort(new Error('the session that fetched the message ended'));
  });
  return {
    signal: controller.signal,
    get sessionEnded() {
      return sessionEnded;
    },
    close() {
      deadline.removeEventListener('abort', followDeadline);
      unwatch();
    },
  };
}
