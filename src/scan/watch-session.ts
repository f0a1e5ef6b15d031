import type { SpooledBody } from './body-scanner.js';

/** Whether the body's session ended while stage 1 of its scan ran (see watchSession). */
export interface SessionWatch {
  /** The body was discarded while watched: nobody will receive what the scan finds. */
  readonly sessionEnded: boolean;
  /** Stage 1 is over: a body discarded from now on cancels nothing (and costs nothing). */
  close(): void;
}

const UNWATCHED: SessionWatch = { sessionEnded: false, close: () => undefined };

/**
 * Cancels stage 1 of a scan (waiting for a slot, reading the body, evaluating it, keeping the
 * quarantine's copy) when the body's session ends: a client that vanishes mid-scan gives its slot and
 * its worker to other sessions at once, instead of being scanned for nobody and then reporting the
 * spool file it can no longer read as a failed scan. `cancel` aborts the scan's signal (its deadline's).
 */
export function watchSession(body: SpooledBody, cancel: (reason: Error) => void): SessionWatch {
  if (!body.whenDiscarded) return UNWATCHED;
  let sessionEnded = false;
  const close = body.whenDiscarded(() => {
    sessionEnded = true;
    cancel(new Error('the session that fetched the message ended'));
  });
  return {
    get sessionEnded() {
      return sessionEnded;
    },
    close,
  };
}
