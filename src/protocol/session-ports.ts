// What a session core (session-core.ts) needs from the world, injected: the proxy passes sockets, timers
// and spool files behind these; the engine test harnesses pass in-memory ones. Nothing here does I/O.
import type { BodyContext } from '../types/body-context.js';
import type { BodyScanResult, SpooledBody } from '../scan/body-scanner.js';
import type { ServerAction, ServerActionOutcome } from '../types/server-action.js';

/** Where client-bound bytes go, strictly in order (the proxy's OrderedWriter). */
export interface ClientSink {
  write(bytes: Buffer): void;
  /** Bytes produced asynchronously (a body read back from disk); later writes wait behind it. */
  writeSource(source: AsyncIterable<Buffer>): void;
  /** Resolves once everything queued so far has been handed on. */
  whenIdle(): Promise<void>;
  /** Bytes accepted and not yet delivered; the core stops reading the server above a high-water mark. */
  readonly pendingBytes: number;
  /** True while an asynchronous source is being written (a body may be half-written). */
  readonly busy: boolean;
}

/** Where server-bound bytes go (the proxy's ServerWriter): commits wait until the client has had everything before them. */
export interface ServerSink {
  write(bytes: Buffer): void;
  commit(bytes: Buffer): void;
  /** Nothing more goes to the server. */
  stop(): void;
  readonly pendingBytes: number;
}

/** A body as the core keeps it while it is scanned and delivered (the proxy's BodySpool). */
export interface SessionSpool extends SpooledBody {
  /** Throws when the spool refuses the bytes; the body then fails alone when it ends. */
  append(bytes: Buffer): void;
  /** Every appended byte is readable (a promise when that takes I/O); rejects or throws when the body is lost. */
  finish(): Promise<void> | void;
  /** True when part of the body is not in memory: read it with range(). */
  readonly spilled: boolean;
  /** Set once the body is lost. */
  readonly failed: unknown;
  /** A range of a body held wholly in memory. */
  memoryRange(start?: number, end?: number): Iterable<Buffer>;
  dispose(): void;
}

/** Settles one scan: exactly one of these is called, now or later. */
export interface ScanAnswer {
  verdict(result: BodyScanResult): void;
  /** The scanner itself broke (it turns every failure it expects into a verdict by scan.onError): a fault of the session. */
  failed(error: unknown): void;
}

export interface SessionScanner {
  scan(bodyId: number, body: SpooledBody, context: BodyContext, answer: ScanAnswer): void;
  /** Settles a body now by scan.onError (the client cannot wait, or the scanner did not answer). Default: unchanged. */
  timedOut?(body: SpooledBody, context: BodyContext): BodyScanResult;
  /** The body could not be kept (its spool lost it) and was not delivered: record that. */
  lost?(context: BodyContext, reason: string): void;
  /** The whole message for a quarantine entry that held only the part the client fetched. */
  wholeOriginal?(quarantineId: string, original: Buffer): Promise<void>;
  /** Bodies are likely soon (the engine's bodiesAhead): get ready to scan one (BodyScanner.prewarm). */
  prewarm?(): void;
}

/** What the core does to the connections themselves. */
export interface SessionLegs {
  /** Reads from that side, or stops reading it (backpressure). */
  setReading(side: 'client' | 'server', reading: boolean): void;
  /** Ends the server leg after what was written. */
  endServer(): void;
  /** Drops the server leg at once (a fault: nothing more may reach the server). */
  abortServer(): void;
  /** Ends the client leg after what was written. */
  endClient(): void;
}

export interface Timer {
  cancel(): void;
}

export type TimerPurpose = 'wake-up' | 'scan deadline' | 'server end' | 'close grace';

export interface SessionTimers {
  after(ms: number, purpose: TimerPurpose, fire: () => void): Timer;
}

/** pino's Logger fits. */
export interface SessionLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Turns a body range into its wire form (e.g. POP3 dot-stuffing): push every chunk, then end() after a whole body. */
export interface BodyEncoder {
  push(chunk: Buffer): Buffer;
  end(): Buffer;
}

/** Server actions for the account logged in on a session (retroactive remediation, #14): the proxy's remediation hub. */
export interface SessionServerActions {
  /** Calls deliver with what waits for this user now and whenever more arrives; returns how to stop. */
  follow(user: string, deliver: (actions: readonly ServerAction[]) => void): () => void;
  done(action: ServerAction, outcome: ServerActionOutcome, detail: string): void;
}

/** Which scanned copy: a section of a message in a mailbox of the logged-in account. */
export interface ScannedCopyKey {
  mailbox: string;
  uidValidity: string;
  uid: number;
  /** As the server names it in an answer, e.g. `BODY[]` or `BINARY[2]`. */
  section: string;
}

/** A kept copy, pinned for the session that took it until release(). */
export interface ScannedCopy {
  /** Final (delivered) size. */
  readonly size: number;
  /** Delivered as literal8 (`~{n}`). */
  readonly literal8: boolean;
  /** False once the store dropped it (expunge, UIDVALIDITY or verdict change, eviction): do not serve it again. */
  readonly kept: boolean;
  /** Bytes [start, end) of the delivered content: in memory, or read back from its spool file. */
  read(start: number, end: number): Iterable<Buffer> | AsyncIterable<Buffer>;
  release(): void;
}

/** Where the session hands the delivered content of a body to keep (bodyShare). */
export interface ScannedCopyIntake {
  /** The whole delivered content, in order; the promise settles once it is kept (or refused). */
  put(content: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<void>;
  /**
   * True once the store refused the copy or dropped it (expunge, UIDVALIDITY or verdict change,
   * eviction): the offering session stops serving its own copy too when that was not eviction.
   */
  readonly invalidated: boolean;
}

/**
 * Scanned copies shared by every session of the same account on the same upstream (the proxy's
 * AccountScannedCopies): a second connection is answered from what a first one already fetched and
 * scanned. Only the delivered bytes of a final delivery are kept. Synchronous: the engine asks while
 * it plans a command.
 */
export interface ScannedCopyStore {
  take(user: string, key: ScannedCopyKey): ScannedCopy | undefined;
  /**
   * Undefined when the copy will not be kept (too large, store off, or `epoch` — the store's epoch when
   * the body's scan began — is past: a verdict changed while it was scanned).
   */
  offer(user: string, key: ScannedCopyKey, size: number, literal8: boolean, epoch?: number): ScannedCopyIntake | undefined;
  /** Drops the account's copies of a mailbox: all of them, or those of other UIDVALIDITY values than `keep`. */
  forget(user: string, mailbox: string, keepUidValidity?: string): void;
  /**
   * Changes whenever what a scan decided may no longer hold (a verdict or the settings changed): taken
   * when a body's scan begins and handed to rememberClean, so a verdict reached before the change is not kept.
   */
  readonly epoch: number;
  /** The section was found clean, delivered unchanged, with nothing held for analysis (ScanOutcome.clean). */
  rememberClean(user: string, key: ScannedCopyKey, size: number, epoch: number): void;
  /** A section of this size was found clean in this account before: it may be delivered as the server sends it, unscanned. */
  knownClean(user: string, key: ScannedCopyKey, size: number): boolean;
}
