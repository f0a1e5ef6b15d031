/** A scan that did not finish within scan.timeoutSeconds. */
export class ScanTimeoutError extends Error {
  constructor(readonly seconds: number) {
    super(`the scan did not finish within scan.timeoutSeconds (${seconds} s)`);
    this.name = 'ScanTimeoutError';
  }
}

/**
 * Runs `work` with a signal that aborts after `seconds`; the promise settles by then at the latest
 * (rejecting with ScanTimeoutError) even if the work never does. The work must check the signal
 * before any side effect it makes after the deadline (and pass it to what can be cancelled).
 * `cancel` aborts the same signal earlier, for another reason (the scan's session ended).
 */
export async function withDeadline<T>(seconds: number, work: (signal: AbortSignal, cancel: (reason: Error) => void) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ScanTimeoutError(seconds);
      controller.abort(error);
      reject(error);
    }, seconds * 1000);
  });
  try {
    return await Promise.race([work(controller.signal, (reason) => controller.abort(reason)), expired]);
  } finally {
    clearTimeout(timer);
  }
}
