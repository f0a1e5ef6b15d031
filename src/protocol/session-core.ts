// The interpretation of a protocol engine's outputs, for one session, with every I/O injected
// (session-ports.ts): the proxy's engine relay wraps it around two sockets, the engine test harnesses
// around in-memory sinks and a scripted scanner. It spools the bodies the engine announces, has them
// scanned, settles each scan (verdict, the engine's deadline, the safety-net deadline, a lost spool),
// writes what the engine emits in order, and accounts for backpressure.
//
// Only the engine ends a session (its close output) — a server close never discards held bodies.
// Everything done for the session runs inside one fault boundary (guard): whatever throws is logged
// with the session, held scans are settled by scan.onError, and only this session closes.
import type { BodyEncoding, EngineOutput, ProtocolEngine } from './engine.js';
import type { SessionMemory } from './memory-budget.js';
import type { BodyEncoder, ClientSink, ServerSink, SessionLegs, SessionLog, SessionScanner, SessionServerActions, SessionSpool, SessionTimers, Timer } from './session-ports.js';
import { ENGINE_QUEUE_LIMIT_BYTES, HIGH_WATER_BYTES } from './limits.js';
import { HeldBodies, SCAN_DEADLINE_GRACE_MS } from './held-bodies.js';

/** How long a closing session waits for its peers to close after the last write, before it ends anyway. */
export const CLOSE_GRACE_MS = 5_000;

/** Facts about the connection added to every body's context, for rules and scan events. */
export interface SessionFacts {
  /** The proxy session's id (log field `session`). */
  session?: number;
  listener?: string;
  /** "host:port" of the upstream. */
  upstream?: string;
  upstreamIp?: string;
  application?: string;
}

export interface SessionCoreOptions {
  engine: ProtocolEngine;
  client: ClientSink;
  server: ServerSink;
  legs: SessionLegs;
  scanner: SessionScanner;
  /** `announcedSize`: what the server announced for the body (IMAP literal, POP3 octets), a hint. */
  openSpool(announcedSize?: number): SessionSpool;
  memory: SessionMemory;
  timers: SessionTimers;
  /**
   * The engine's clock, refreshed before every input (the proxy: Date.now). Without one, time moves
   * only by tick() (harnesses that script time).
   */
  clock?: () => number;
  /** scan.timeoutSeconds in ms: a scanner that has not answered by then plus a grace is settled by scan.onError. Absent: no safety net. */
  scanTimeoutMs?: number;
  /** Encoders for bodyToClient encodings other than 'raw'. */
  encoders: Partial<Record<BodyEncoding, () => BodyEncoder>>;
  facts?: SessionFacts;
  log: SessionLog;
  onEnd(reason: string): void;
  /** The client named itself (IMAP ID); true means stop inspecting this session. */
  onClientId?(name: string): boolean;
  /** Remediations to carry out inside the session once its user is known (IMAP). */
  serverActions?: SessionServerActions;
  /** Sees every output the engine emits, in order (test harnesses check the output contract with it). */
  observe?(output: EngineOutput): void;
  /** Called first when the fault boundary catches something (test harnesses rethrow it). */
  onFault?(stage: string, error: unknown): void;
}

export interface SessionStats {
  bytesFromClient: number;
  bytesFromServer: number;
  /** Bodies the engine passed on unscanned as found clean before; absent when none were. */
  bodiesKnownClean?: number;
}

export class SessionCore {
  /** Created with the first body: a session that never fetches one holds none of its state. */
  private heldBodies: HeldBodies | undefined;
  private bytesFromClient = 0;
  private bytesFromServer = 0;
  /** The engine's requested wake-up (keep-alive, hold deadline); one at a time, the latest request wins. */
  private wakeTimer: Timer | undefined;
  /** When the armed wakeTimer fires, on the engine's clock. */
  private wakeDueAt = 0;
  private ended = false;
  /** The engine or a fault ended the session; the client leg is being flushed and closed. */
  private closing = false;
  /** Why the session is closing (the engine's reason or the fault), reported however the legs then end. */
  private closeReason: string | undefined;
  private serverEnded = false;
  private clientGone = false;
  private application: string | undefined;
  /** The time last given to the engine. */
  private nowMs = 0;
  private pumping = false;
  /** Settlements that arrived while outputs were being handled: they follow the outputs already drained. */
  private afterBatch: (() => void)[] | undefined;
  /** Stops following the logged-in account's server actions. */
  private unfollow: (() => void) | undefined;
  /** Whole messages being read for quarantine entries that held only a part, by action id. */
  private originals: Map<number, SessionSpool | 'refused'> | undefined;
  private lastOriginalId = 0;

  constructor(private readonly options: SessionCoreOptions) {
    this.application = options.facts?.application;
    options.memory.onRelief(() => this.guard('flow', () => this.updateFlow()));
  }

  stats(): SessionStats {
    const knownClean = this.options.engine.bodiesKnownClean ?? 0;
    const stats: SessionStats = { bytesFromClient: this.bytesFromClient, bytesFromServer: this.bytesFromServer };
    if (knownClean > 0) stats.bodiesKnownClean = knownClean;
    return stats;
  }

  private get bodies(): HeldBodies {
    this.heldBodies ??= new HeldBodies({
      ...this.options,
      ended: () => this.ended,
      stopping: () => this.ended || this.closing,
      pump: () => this.pump(),
      soon: (stage, work) => this.soon(stage, work),
      guard: (stage, work) => this.guard(stage, work),
      fault: (stage, error) => this.fault(stage, error),
      wantWholeOriginal: (context, quarantineId) => this.wantWholeOriginal(context, quarantineId),
    });
    return this.heldBodies;
  }

  // ── inputs ───────────────────────────────────────────────────────────────────────────────────────

  /** The prelude's leftovers: what the engine must process first. */
  start(serverBytes: Buffer, clientBytes: Buffer): void {
    this.guard('start', () => {
      this.refreshClock();
      if (serverBytes.length > 0) this.options.engine.fromServer(serverBytes);
      if (clientBytes.length > 0) this.options.engine.fromClient(clientBytes);
      this.bytesFromServer += serverBytes.length;
      this.bytesFromClient += clientBytes.length;
      this.pump();
    });
  }

  // The two inputs of every read run their fault boundary inline (guard() without a closure per read).

  fromClient(bytes: Buffer): void {
    if (this.ended) return;
    try {
      this.bytesFromClient += bytes.length;
      if (this.closing) return;
      this.refreshClock();
      this.options.engine.fromClient(bytes);
      this.pump();
    } catch (error) {
      this.fault('client data', error);
    }
  }

  fromServer(bytes: Buffer): void {
    if (this.ended) return;
    try {
      this.bytesFromServer += bytes.length;
      if (this.closing) return;
      this.refreshClock();
      this.options.engine.fromServer(bytes);
      this.pump();
    } catch (error) {
      this.fault('server data', error);
    }
  }

  /** Gives the engine the time (a requested wake-up, or a harness moving time on). */
  tick(nowMs: number): void {
    this.guard('wake-up', () => {
      if (this.closing) return;
      this.nowMs = nowMs;
      this.options.engine.tick(nowMs);
      this.pump();
    });
  }

  /** That side's input ended, and nothing else: the engine decides what follows (harnesses; the proxy uses serverClosed / clientClosed). */
  inputEnded(side: 'client' | 'server'): void {
    this.guard(`${side} end`, () => {
      if (this.closing) return;
      this.options.engine.end(side);
      this.pump();
    });
  }

  /** Stops inspecting once nothing is held (IMAP). */
  passThrough(): void {
    this.guard('pass-through', () => {
      this.options.engine.passThrough?.();
      this.pump();
    });
  }

  /** The sink or its readers can take more: re-evaluates backpressure. */
  flowChanged(): void {
    this.guard('flow', () => this.updateFlow());
  }

  /** The body could not be kept (its spool lost it): only its response fails, the engine decides how. */
  failBody(bodyId: number, error: unknown): void {
    this.heldBodies?.fail(bodyId, error);
  }

  /** The server is done (end, close, error): the engine decides when the client has had everything. */
  serverClosed(reason: string): void {
    if (this.serverEnded) return;
    this.serverEnded = true;
    this.options.server.stop();
    this.guard('server end', () => {
      if (this.closing) return;
      this.options.log.debug({ reason }, 'upstream ended');
      this.options.engine.end('server');
      this.pump();
      // Every held scan is settled by its deadline; an engine still not done well after that never will be.
      if (this.options.scanTimeoutMs === undefined) return;
      const limit = this.options.scanTimeoutMs + 2 * SCAN_DEADLINE_GRACE_MS;
      this.options.timers.after(limit, 'server end', () => this.guard('server end', () => this.closeAfterWritten(`${reason}; nothing left to deliver`)));
    });
  }

  /** The client will not read any more (its end or an error): nothing is committed upstream after this. */
  clientClosed(reason: string): void {
    if (this.clientGone) return;
    this.clientGone = true;
    this.options.server.stop();
    this.guard('client end', () => {
      if (!this.closing) {
        this.options.engine.end('client');
        this.pump();
      }
      // Without its QUIT (never forwarded now), a POP3 server keeps every message (RFC 1939 §6).
      this.options.legs.endServer();
      if (!this.closing) this.closeAfterWritten(reason);
    });
  }

  /** The client leg is closed for good, or writing to it failed (with whatever was half-written): the session ends now. */
  clientDisconnected(reason: string): void {
    this.clientGone = true;
    this.finish(reason);
  }

  /** Runs `work` inside the session's fault boundary. */
  guard(stage: string, work: () => void): void {
    if (this.ended) return;
    try {
      work();
    } catch (error) {
      this.fault(stage, error);
    }
  }

  /**
   * The session's fault boundary: logs the fault with the session, settles every scan in progress by
   * scan.onError, never commits anything upstream, and closes only this session — at once when a body
   * is half-written to the client (nothing after it may follow), else after what was written.
   */
  fault(stage: string, error: unknown): void {
    if (this.ended) return;
    this.options.onFault?.(stage, error);
    this.options.log.error({ err: error, stage }, 'fault in the session; closing it');
    this.options.server.stop();
    this.afterBatch = undefined;
    const wasClosing = this.closing;
    this.closing = true;
    this.closeReason = `fault in ${stage}`;
    this.heldBodies?.settleAllByPolicy();
    this.options.legs.abortServer();
    if (this.options.client.busy) return this.finish(`fault in ${stage}`);
    if (wasClosing) return;
    this.options.legs.endClient();
    this.options.timers.after(CLOSE_GRACE_MS, 'close grace', () => this.finish(`fault in ${stage}`));
  }

  /** Frees everything and reports the end once; later calls do nothing. */
  finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    reason = this.closeReason ?? reason;
    this.wakeTimer?.cancel();
    this.unfollow?.();
    for (const spool of this.originals?.values() ?? []) if (spool !== 'refused') spool.dispose();
    this.originals = undefined;
    this.heldBodies?.disposeAll();
    this.options.memory.close();
    this.options.server.stop();
    try {
      this.options.onEnd(reason);
    } catch (error) {
      this.options.log.error({ err: error }, 'closing the session failed');
    }
  }

  // ── outputs ──────────────────────────────────────────────────────────────────────────────────────

  private refreshClock(): void {
    if (!this.options.clock) return;
    this.nowMs = this.options.clock();
    this.options.engine.tick(this.nowMs);
  }

  /** Runs `work` after the outputs being handled now, or at once when none are. */
  private soon(stage: string, work: () => void): void {
    if (this.pumping) (this.afterBatch ??= []).push(work);
    else this.guard(stage, work);
  }

  private pump(): void {
    if (this.ended || this.closing || this.pumping) return;
    this.pumping = true;
    try {
      // Handling an output or a settlement may make the engine produce more, so go on until it is quiet.
      for (;;) {
        const outputs = this.options.engine.drain();
        for (let index = 0; index < outputs.length; index++) {
          const output = outputs[index];
          this.options.observe?.(output);
          if (!this.ended && !this.closing) this.handle(output);
        }
        const settlements = this.afterBatch;
        this.afterBatch = undefined;
        if (settlements !== undefined) {
          for (const settle of settlements) {
            if (this.ended || this.closing) break;
            settle();
          }
        }
        if ((outputs.length === 0 && settlements === undefined) || this.ended || this.closing) break;
      }
    } finally {
      this.pumping = false;
    }
    this.updateFlow();
  }

  private handle(output: EngineOutput): void {
    switch (output.kind) {
      case 'toClient':
        return this.options.client.write(output.bytes);
      case 'toServer':
        return this.options.server.write(output.bytes);
      case 'commitToServer':
        return this.options.server.commit(output.bytes);
      case 'bodyBegin':
        return this.bodies.begin(output.bodyId, { ...output.context, ...this.facts() }, output.size);
      case 'bodyData':
        return this.bodies.append(output.bodyId, output.bytes);
      case 'bodyEnd':
        return this.bodies.end(output.bodyId, output.context);
      case 'bodyToClient':
        return this.bodies.writeToClient(output);
      case 'bodyRelease':
        return this.bodies.release(output.bodyId);
      case 'bodyAdopt':
        return this.bodies.adopt(output.bodyId, output.copy);
      case 'bodyShare':
        return this.bodies.share(output.bodyId, output.intake);
      case 'wakeUp':
        return this.wakeAfter(output.afterMs);
      case 'scanDeadline':
        return this.bodies.settleByPolicy(output.bodyId, 'scan took too long for the client; settled by the scan.onError policy');
      case 'bodiesAhead':
        return this.options.scanner.prewarm?.();
      case 'clientId':
        this.application ??= output.name;
        if (this.options.onClientId?.(output.name)) this.options.engine.passThrough?.();
        return;
      case 'account':
        return this.followAccount(output.user);
      case 'serverActionData':
        return this.originalData(output.action.id, output.bytes);
      case 'serverActionDone':
        if (output.action.kind === 'fetch-original') return this.originalRead(output.action, output.outcome, output.detail);
        return this.options.serverActions?.done(output.action, output.outcome, output.detail);
      case 'protocolError':
        return this.options.log.warn({ type: 'protocol-error', side: output.side, limit: output.limit, value: output.value }, 'protocol limit exceeded');
      case 'event':
        this.options.log.info(output.event, output.event.type);
        return;
      case 'close':
        // debug: the "session closed" line that follows carries the same reason.
        this.options.log.debug({ reason: output.reason }, 'protocol engine closed the session');
        return this.closeAfterWritten(output.reason);
    }
  }

  private wantWholeOriginal(context: { mailbox?: string; uidValidity?: string; uid?: number }, quarantineId: string): void {
    const { mailbox, uidValidity, uid } = context;
    if (!this.options.engine.serverActions || !this.options.scanner.wholeOriginal || mailbox === undefined || uidValidity === undefined || uid === undefined) return;
    const id = ++this.lastOriginalId;
    this.options.engine.serverActions([{ id, kind: 'fetch-original', mailbox, uidValidity, uid, folder: '', quarantineId }]);
  }

  private originalData(id: number, bytes: Buffer): void {
    const originals = (this.originals ??= new Map());
    let spool = originals.get(id);
    if (spool === 'refused') return;
    if (!spool) {
      spool = this.options.openSpool();
      originals.set(id, spool);
    }
    try {
      spool.append(bytes);
    } catch (error) {
      // Only the copy for the quarantine is lost, never the session.
      this.options.log.warn({ err: error }, 'the whole message for a quarantine entry could not be spooled');
      spool.dispose();
      originals.set(id, 'refused');
    }
  }

  /** The whole message was read (or could not be): the quarantine entry gets it; nothing reaches the client. */
  private originalRead(action: { id: number; quarantineId?: string; uid: number }, outcome: string, detail: string): void {
    const spool = this.originals?.get(action.id);
    this.originals?.delete(action.id);
    const { scanner, log } = this.options;
    if (outcome !== 'done' || !spool || spool === 'refused' || action.quarantineId === undefined || !scanner.wholeOriginal) {
      if (spool && spool !== 'refused') spool.dispose();
      log.warn({ uid: action.uid, quarantineId: action.quarantineId, outcome, detail }, 'the whole message for a quarantine entry could not be read; it keeps the part the client fetched');
      return;
    }
    const quarantineId = action.quarantineId;
    void Promise.resolve(spool.finish())
      .then(() => spool.readAll())
      .then((whole) => scanner.wholeOriginal!(quarantineId, whole))
      .catch((error: unknown) => log.warn({ err: error, quarantineId }, 'the quarantine entry could not be completed with the whole message'))
      .finally(() => spool.dispose());
  }

  private followAccount(user: string): void {
    const port = this.options.serverActions;
    if (!port || !this.options.engine.serverActions) return;
    this.unfollow?.();
    this.unfollow = port.follow(user, (actions) =>
      this.soon('server actions', () => {
        if (this.closing) return;
        this.options.engine.serverActions?.(actions);
        this.pump();
      }),
    );
  }

  private facts(): SessionFacts {
    const { session, listener, upstream, upstreamIp } = this.options.facts ?? {};
    return {
      ...(session !== undefined ? { session } : {}),
      ...(listener !== undefined ? { listener } : {}),
      ...(upstream !== undefined ? { upstream } : {}),
      ...(upstreamIp ? { upstreamIp } : {}),
      ...(this.application ? { application: this.application } : {}),
    };
  }

  private wakeAfter(afterMs: number): void {
    // An engine holding a response asks again after every input (each tick clears its request), for the
    // same moment: with a clock the armed timer already fires then, so it stays (no timer per chunk).
    const dueAt = this.nowMs + afterMs;
    if (this.wakeTimer !== undefined && this.options.clock !== undefined && dueAt === this.wakeDueAt) return;
    this.wakeTimer?.cancel();
    this.wakeDueAt = dueAt;
    this.wakeTimer = this.options.timers.after(afterMs, 'wake-up', () => {
      this.wakeTimer = undefined;
      this.tick(this.options.clock?.() ?? this.nowMs + afterMs);
    });
  }

  // ── flow and the end of the session ──────────────────────────────────────────────────────────────

  /** Stops reading from a side while the other side cannot take more. */
  private updateFlow(): void {
    if (this.ended) return;
    const { engine, memory, client, server, legs } = this.options;
    memory.setQueuedClientBytes(engine.queuedClientBytes);
    const clientFull = client.pendingBytes > HIGH_WATER_BYTES || engine.queuedClientBytes > ENGINE_QUEUE_LIMIT_BYTES || memory.pauseUpstream;
    legs.setReading('server', !clientFull);
    legs.setReading('client', server.pendingBytes <= HIGH_WATER_BYTES);
  }

  /** Everything emitted so far goes to the client, then both legs close. */
  private closeAfterWritten(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.options.server.stop();
    this.options.legs.endServer();
    void this.options.client.whenIdle().then(() =>
      this.guard('closing', () => {
        this.options.legs.endClient();
        this.options.timers.after(CLOSE_GRACE_MS, 'close grace', () => this.finish(reason));
      }),
    );
  }
}
