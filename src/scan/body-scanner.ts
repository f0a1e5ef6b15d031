import type { BodyContext } from '../types/body-context.js';

/** A message body (or part) as the session spooled it. */
export interface SpooledBody {
  readonly size: number;
  /** The whole body, when it is held in memory. */
  inMemory(): Buffer | undefined;
  /** The whole body in one buffer (read from disk when it was spilled). */
  readAll(): Promise<Buffer>;
  /** The caller of readAll() keeps nothing of what it got (a pooled segment may then be reused, see segment-pool.ts). */
  doneWith?(bytes: Buffer): void;
  range(start?: number, end?: number): AsyncIterable<Buffer>;
  /** The complete spool file of a spilled body, for a scan worker to read itself; undefined when the body is in memory. */
  spilledFile?(): Promise<SpilledFile | undefined>;
  /**
   * Calls `listener` once if the body is discarded (its session ended: nobody will receive what a scan
   * finds) before the returned function is called; at once when it already was.
   */
  whenDiscarded?(listener: () => void): () => void;
}

/** A body that lives in a spool file: bytes [0, fileBytes) of `path` (0600, complete), then `tail` (shared memory). */
export interface SpilledFile {
  path: string;
  fileBytes: number;
  tail: Buffer;
}

export type BodyScanResult = (
  | { changed: false }
  /** The content to deliver instead of the original. */
  | { changed: true; content: Buffer }
) & {
  /**
   * The quarantine entry kept for this body holds only the part the client fetched (BODY[n]): the
   * session may read the whole message and hand it to wholeOriginal().
   */
  partOnlyQuarantineId?: string;
  /**
   * The scan found the body clean and settled it for good: unchanged, no finding, no rule applied, no
   * error, nothing held for analysis. The same bytes fetched again need no second scan until a verdict
   * or the settings change (ScannedCopyStore.rememberClean).
   */
  clean?: true;
};

/** What the protocol sessions call for every intercepted body. */
export interface BodyScanner {
  scan(body: SpooledBody, context: BodyContext): Promise<BodyScanResult>;
  /**
   * The client cannot wait any longer for this body's verdict (POP3 has no keep-alive): decide now,
   * following scan.onError. The late verdict of scan() is then ignored. Default: deliver unchanged.
   */
  timedOut?(body: SpooledBody, context: BodyContext): BodyScanResult;
  /** The session could not keep this body (its spool failed), so it was not delivered: record that. */
  lost?(context: BodyContext, reason: string): void;
  /** The whole message for a quarantine entry that held only a part (partOnlyQuarantineId). */
  wholeOriginal?(quarantineId: string, original: Buffer): Promise<void>;
  /**
   * A session is about to fetch bodies: when scans run in workers and none is running, start one now,
   * so the first body does not wait for its start (module loading and compiling, about 1 s of CPU).
   */
  prewarm?(): void;
}
