// The seam between a session (sockets, TLS, timers, files) and a protocol engine (pure state machine).
//
// The session feeds bytes in, then drains outputs and acts on them in order. Engines never touch
// sockets, timers or files, so tests can drive them with byte scripts split at any chunk boundary.
//
// Message bodies are streamed out of the engine (bodyBegin / bodyData / bodyEnd) so the session can
// spool them to memory or a 0600 temp file and hand them to the scanner. When the scanner is done the
// session calls scanned(); the engine then emits the framing with the final size and a bodyToClient
// output telling the session where to write the (possibly replaced) content. The engine decides when
// a body is no longer needed (bodyRelease), e.g. after the last slice of a cached partial fetch.

import type { BodyContext } from '../types/body-context.js';
import type { ServerAction, ServerActionOutcome } from '../types/server-action.js';
import type { ScannedCopy, ScannedCopyIntake } from './session-ports.js';
import { DEFAULT_PROTOCOL_LIMITS, type LimitHit, type ProtocolLimits } from './limits.js';

export type { BodyContext, Protocol } from '../types/body-context.js';

export interface ProxyEvent {
  type: string;
  [field: string]: unknown;
}

export type BodyEncoding = 'raw' | 'pop3-dot-stuffed';

export type EngineOutput =
  | { kind: 'toClient'; bytes: Buffer }
  | { kind: 'toServer'; bytes: Buffer }
  /**
   * A command that commits a deletion (POP3 QUIT; IMAP EXPUNGE, UID EXPUNGE, CLOSE, MOVE, UID MOVE).
   * The session forwards it only once everything emitted before it has been written to the client,
   * and never when the client has gone (POP3 then keeps the mail, RFC 1939 §6). Later toServer and
   * commitToServer outputs wait behind it, in order.
   */
  | { kind: 'commitToServer'; bytes: Buffer }
  /**
   * A body starts. `size` is what the server declared: IMAP literal length; POP3 RETR the octets of
   * "+OK n octets" when the server says so (a hint: the body may differ), else undefined.
   */
  | { kind: 'bodyBegin'; bodyId: number; context: BodyContext; size: number | undefined }
  /** Content bytes as the server meant them: IMAP literal bytes; POP3 un-stuffed with CRLF kept. */
  | { kind: 'bodyData'; bodyId: number; bytes: Buffer }
  /**
   * The body is complete; the session scans it and later calls scanned(bodyId, …). `context` adds
   * what the engine learnt after bodyBegin (IMAP: headers or UID that came later in the response).
   */
  | { kind: 'bodyEnd'; bodyId: number; context?: Partial<BodyContext> }
  /**
   * Write the final content of bodyId (or the byte range [start, end) of it) to the client here.
   * 'pop3-dot-stuffed': pipe the range through a new pop3/dot-stuffing.ts DotStuffer and add its end()
   * only when `end` is absent (a bounded range is a prefix the engine continues with raw bytes).
   */
  | { kind: 'bodyToClient'; bodyId: number; encoding: BodyEncoding; start?: number; end?: number }
  /** The engine will not refer to bodyId again; the session may free its storage. */
  | { kind: 'bodyRelease'; bodyId: number }
  /**
   * bodyId stands for a copy another session of the account kept (ScannedCopyStore.take): it is final
   * already (no bodyBegin, no scan); bodyToClient reads it, bodyRelease lets go of it.
   */
  | { kind: 'bodyAdopt'; bodyId: number; copy: ScannedCopy }
  /** bodyId's delivered content is final: hand it to the intake, for other sessions of the account. */
  | { kind: 'bodyShare'; bodyId: number; intake: ScannedCopyIntake }
  /** The client cannot wait any longer for bodyId's verdict: settle it now by scan.onError (scanner.timedOut). */
  | { kind: 'scanDeadline'; bodyId: number }
  /**
   * Call tick() again after afterMs (a keep-alive or hold deadline is due then); replaces any earlier
   * request. The engine asks again after every tick() while it still waits for time to pass.
   */
  | { kind: 'wakeUp'; afterMs: number }
  /**
   * The client asked for something that comes just before message bodies, or for a body (IMAP: a FETCH of
   * envelopes, structures or sections; POP3: RETR, TOP): the session may get a scan worker ready
   * (SessionScanner.prewarm).
   */
  | { kind: 'bodiesAhead' }
  /** The client named itself (IMAP ID, RFC 2971); the session may switch inspection off (passThrough). */
  | { kind: 'clientId'; name: string }
  /** The client logged in as this user (IMAP): the session may hand the engine server actions for the account. */
  | { kind: 'account'; user: string }
  /** Bytes of the message a fetch-original action reads (the literal's content, in order). */
  | { kind: 'serverActionData'; action: ServerAction; bytes: Buffer }
  /** The engine carried out (or gave up on) a server action the session handed it. */
  | { kind: 'serverActionDone'; action: ServerAction; outcome: ServerActionOutcome; detail: string }
  /**
   * A peer went past a protocol limit (limits.ts). The engine has already answered the client as the
   * protocol allows and, for every limit but imap.idBytes, follows with close.
   */
  | ({ kind: 'protocolError' } & LimitHit)
  /** For the log: login user, mailbox, bodies passed unscanned, size changes. Never credentials. */
  | { kind: 'event'; event: ProxyEvent }
  /** Close both legs after writing everything before this output. */
  | { kind: 'close'; reason: string };

export interface ScanOutcome {
  /** Size in bytes of the final content (original or replacement). */
  size: number;
  /** True when the scanner replaced the content. */
  changed: boolean;
  /** Found clean and delivered unchanged, nothing held for analysis, no rule applied (BodyScanResult.clean). */
  clean?: boolean;
}

export interface ProtocolEngine {
  fromClient(bytes: Buffer): void;
  fromServer(bytes: Buffer): void;
  /** The session tells the engine a body it announced with bodyEnd has been scanned. */
  scanned(bodyId: number, outcome: ScanOutcome): void;
  /**
   * The session could not keep or read bodyId (its spool failed). The engine answers that one
   * response with an error when nothing of it has reached the client, or ends the session.
   */
  bodyFailed(bodyId: number, reason: string): void;
  /**
   * The current time: the session calls it before feeding input and when a requested wakeUp is due,
   * so the engine's clock is fresh whenever it starts holding something.
   */
  tick(nowMs: number): void;
  /** The server or client connection ended (EOF). */
  end(side: 'client' | 'server'): void;
  drain(): readonly EngineOutput[];
  /** Client-bound bytes queued behind a held body; the session stops reading the server while this is large. */
  readonly queuedClientBytes: number;
  /** Bodies passed on unscanned because the account found them clean before (IMAP, ScannedCopyStore.knownClean). */
  readonly bodiesKnownClean?: number;
  /** Stop inspecting as soon as nothing is held; from then on bytes pass unchanged (IMAP only, see imap/engine.ts). */
  passThrough?(): void;
  /** Things to do on the server inside this session when the client's state allows (IMAP only, imap/server-actions.ts). */
  serverActions?(actions: readonly ServerAction[]): void;
}

export interface EngineOptions {
  /** True when the next server line is the greeting that the client has not seen yet. */
  expectGreeting: boolean;
  /** Bodies above this size pass through unscanned with an event. */
  maxScanBytes: number;
  /** IMAP: emit an untagged keep-alive when a body is held longer than this. */
  keepaliveMs: number;
  /** POP3: longest hold before the engine gives up waiting (see pop3/ for what it then does). */
  maxHoldMs: number;
  /** IMAP: bytes of scanned bodies kept for answering partial fetches. */
  partialCacheBytes: number;
  /** Line, literal, exchange and pipelining limits (defaults in limits.ts). */
  limits: ProtocolLimits;
}

export const defaultEngineOptions: EngineOptions = {
  expectGreeting: true,
  maxScanBytes: 256 * 1024 * 1024,
  keepaliveMs: 15_000,
  maxHoldMs: 20_000,
  partialCacheBytes: 64 * 1024 * 1024,
  limits: DEFAULT_PROTOCOL_LIMITS,
};
