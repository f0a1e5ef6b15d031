import type net from 'node:net';
import type { Logger } from 'pino';
import { DotStuffer } from '../pop3/dot-stuffing.js';
import type { BodyContext, EngineOutput, ProtocolEngine } from '../protocol/engine.js';
import { ENGINE_QUEUE_LIMIT_BYTES, HIGH_WATER_BYTES, memoryLimits } from '../protocol/limits.js';
import { processMemory, type SessionMemory } from '../protocol/memory-budget.js';
import type { PreludeOutput } from '../protocol/prelude.js';
import type { BodyScanner, BodyScanResult } from '../scan/body-scanner.js';
import { BodySpool, sliceChunks } from './body-spool.js';
import { OrderedWriter } from './ordered-writer.js';
import { ServerWriter } from './server-writer.js';

export interface RelayStats {
  bytesFromClient: number;
  bytesFromServer: number;
}

export interface Relay {
  stats(): RelayStats;
  /** True when the relay listens for both sockets' errors itself (the session then leaves them to it). */
  readonly handlesSocketErrors?: boolean;
}

const CLOSE_GRACE_MS = 5_000;
/** Past scan.timeoutSeconds, how long the relay still waits for a scanner before settling the body itself. */
export const SCAN_DEADLINE_GRACE_MS = 10_000;

export interface EngineRelayOptions {
  client: net.Socket;
  upstream: net.Socket;
  ready: Extract<PreludeOutput, { kind: 'ready' }>;
  engine: ProtocolEngine;
  scanner: BodyScanner;
  memoryBufferBytes: number;
  /** scan.timeoutSeconds in ms: a scanner that has not answered by then plus a grace is settled by scan.onError. */
  scanTimeoutMs: number;
  listener: string;
  /** "host:port" of the upstream, for scan events. */
  upstreamName: string;
  /** Facts about the connection that rules can test. */
  upstreamIp?: string;
  application?: string;
  log: Logger;
  onEnd(reason: string): void;
  /** The client named itself (IMAP ID); true means stop inspecting this session. */
  onClientId?(name: string): boolean;
}

interface Body {
  spool: BodySpool;
  context: BodyContext;
  /** bodyEnd was seen: the body is with the scanner until it is settled. */
  scanning: boolean;
  /** Set once the engine has been told the outcome (by the scanner, or by the timeout policy). */
  result?: BodyScanResult;
  deadline?: NodeJS.Timeout;
  /** The spool refused bytes of this body: it fails alone when it ends (the engine answers for it). */
  spoolFailure?: unknown;
  /** Counted among the session's bodies waiting for a scan (memory budget backpressure). */
  waitingCounted?: boolean;
}

/**
 * Drives a protocol engine between the two sockets: feeds it bytes, spools the bodies it announces,
 * has them scanned, and writes what it emits in order, with backpressure in both directions.
 *
 * Only the engine ends a session (its close output) — a server close never discards held bodies.
 * Everything done for the session runs inside one fault boundary (guard): whatever throws is logged
 * with the session, held scans are settled by scan.onError, and only this session closes.
 */
export function startEngineRelay(options: EngineRelayOptions): Relay {
  return new EngineRelay(options);
}

class EngineRelay implements Relay {
  readonly handlesSocketErrors = true;
  private readonly bodies = new Map<number, Body>();
  private readonly clientWriter: OrderedWriter;
  private readonly counters: RelayStats = { bytesFromClient: 0, bytesFromServer: 0 };
  /** The engine's requested wake-up (keep-alive, hold deadline); one at a time, the latest request wins. */
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly serverWriter: ServerWriter;
  private ended = false;
  /** The engine or a fault ended the session; the client leg is being flushed and closed. */
  private closing = false;
  /** Why the session is closing (the engine's reason or the fault), reported however the sockets then end. */
  private closeReason: string | undefined;
  private serverEnded = false;
  private clientGone = false;
  private application: string | undefined;
  private readonly memory: SessionMemory;
  private readonly unspillableBodyBytes: number;

  constructor(private readonly options: EngineRelayOptions) {
    this.application = options.application;
    const limits = memoryLimits(options.memoryBufferBytes);
    this.memory = processMemory.openSession(limits);
    this.memory.onRelief(() => this.updateFlow());
    this.unspillableBodyBytes = limits.unspillableBodyBytes;
    const { client, upstream, ready, engine } = options;
    this.clientWriter = new OrderedWriter(client, (error) => this.clientWriteFailed(error), () => this.guard('flow', () => this.updateFlow()));
    this.serverWriter = new ServerWriter(
      upstream,
      () => this.clientWriter.whenDelivered(),
      (bytes) => options.log.info({ bytes }, 'deleting command not forwarded: the client did not receive everything before it'),
      (error) => this.fault('forwarding to the server', error),
    );
    client.on('error', (error: NodeJS.ErrnoException) => this.clientLost(`client socket error: ${error.code ?? error.message}`));
    upstream.on('error', (error: NodeJS.ErrnoException) => this.upstreamFailed(`upstream socket error: ${error.code ?? error.message}`));
    client.on('data', (chunk: Buffer) =>
      this.guard('client data', () => {
        this.counters.bytesFromClient += chunk.length;
        if (this.closing) return;
        engine.tick(Date.now());
        engine.fromClient(chunk);
        this.pump();
      }),
    );
    upstream.on('data', (chunk: Buffer) =>
      this.guard('server data', () => {
        this.counters.bytesFromServer += chunk.length;
        if (this.closing) return;
        engine.tick(Date.now());
        engine.fromServer(chunk);
        this.pump();
      }),
    );
    client.on('drain', () => this.guard('flow', () => this.updateFlow()));
    upstream.on('drain', () => this.guard('flow', () => this.updateFlow()));
    client.once('end', () => this.clientLost('client closed the connection'));
    upstream.once('end', () => this.serverEnd('upstream closed the connection'));
    client.once('close', () => {
      this.clientGone = true;
      this.finish('client closed the connection');
    });
    upstream.once('close', () => this.serverEnd('upstream closed the connection'));

    this.guard('start', () => {
      engine.tick(Date.now());
      if (ready.serverBytes.length > 0) engine.fromServer(ready.serverBytes);
      if (ready.clientBytes.length > 0) engine.fromClient(ready.clientBytes);
      this.counters.bytesFromServer += ready.serverBytes.length;
      this.counters.bytesFromClient += ready.clientBytes.length;
      this.pump();
    });
  }

  stats(): RelayStats {
    return { ...this.counters };
  }

  /** A read error or reset, like the server's end, never discards what is held. */
  private upstreamFailed(reason: string): void {
    this.options.log.info({ reason }, 'upstream failed; delivering what is held before closing');
    this.serverEnd(reason);
  }

  /** Runs `work` inside the session's fault boundary. */
  private guard(stage: string, work: () => void): void {
    if (this.ended) return;
    try {
      work();
    } catch (error) {
      this.fault(stage, error);
    }
  }

  private pump(): void {
    if (this.ended || this.closing) return;
    // Handling an output may make the engine produce more (pass-through), so drain until it is empty.
    for (let outputs = this.options.engine.drain(); outputs.length > 0 && !this.ended && !this.closing; outputs = this.options.engine.drain()) {
      for (const output of outputs) {
        if (this.ended || this.closing) break;
        this.handle(output);
      }
    }
    this.updateFlow();
  }

  private handle(output: EngineOutput): void {
    switch (output.kind) {
      case 'toClient':
        return this.clientWriter.write(output.bytes);
      case 'toServer':
        return this.serverWriter.write(output.bytes);
      case 'commitToServer':
        return this.serverWriter.commit(output.bytes);
      case 'bodyBegin':
        this.bodies.set(output.bodyId, {
          spool: new BodySpool(this.options.memoryBufferBytes, { memory: this.memory, unspillableBytes: this.unspillableBodyBytes }),
          scanning: false,
          context: {
            ...output.context,
            listener: this.options.listener,
            upstream: this.options.upstreamName,
            ...(this.options.upstreamIp ? { upstreamIp: this.options.upstreamIp } : {}),
            ...(this.application ? { application: this.application } : {}),
          },
        });
        return;
      case 'bodyData':
        return this.appendToSpool(output.bodyId, output.bytes);
      case 'bodyEnd': {
        const body = this.bodies.get(output.bodyId);
        if (body && output.context) Object.assign(body.context, output.context);
        return this.scan(output.bodyId);
      }
      case 'bodyToClient':
        return this.writeBody(output);
      case 'bodyRelease':
        return this.release(output.bodyId);
      case 'wakeUp':
        return this.wakeAfter(output.afterMs);
      case 'scanDeadline':
        return this.settleByPolicy(output.bodyId, 'scan took too long for the client; settled by the scan.onError policy');
      case 'clientId':
        this.application ??= output.name;
        if (this.options.onClientId?.(output.name)) this.options.engine.passThrough?.();
        return;
      case 'event':
        this.options.log.info(output.event, output.event.type);
        return;
      case 'close':
        this.options.log.info({ reason: output.reason }, 'protocol engine closed the session');
        return this.closeAfterWritten(output.reason);
    }
  }

  private wakeAfter(afterMs: number): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.guard('wake-up', () => {
        if (this.closing) return;
        this.options.engine.tick(Date.now());
        this.pump();
      });
    }, afterMs);
    this.wakeTimer.unref();
  }

  // ── bodies ───────────────────────────────────────────────────────────────────────────────────────

  private appendToSpool(bodyId: number, bytes: Buffer): void {
    const body = this.bodies.get(bodyId);
    if (!body || body.spoolFailure !== undefined) return;
    try {
      body.spool.append(bytes);
    } catch (error) {
      body.spoolFailure = error;
    }
  }

  private scan(bodyId: number): void {
    const body = this.bodies.get(bodyId);
    if (!body) return;
    const failure = body.spoolFailure;
    if (failure !== undefined) {
      // Not inside this pump: the engine's answer must follow the outputs already drained.
      queueMicrotask(() => this.guard('spool', () => this.bodyFailed(bodyId, body, failure)));
      return;
    }
    body.scanning = true;
    const { spool, context } = body;
    this.memory.scanWaiting(1);
    body.waitingCounted = true;
    body.deadline = setTimeout(
      () => this.guard('scan deadline', () => this.settleByPolicy(bodyId, 'the scanner did not answer by scan.timeoutSeconds; settled by the scan.onError policy')),
      this.options.scanTimeoutMs + SCAN_DEADLINE_GRACE_MS,
    );
    body.deadline.unref();
    spool.finish().then(
      () => {
        if (this.ended || body.result) return;
        // A scanner that throws synchronously or rejects is a fault of this session (the scanner itself
        // turns every failure it expects into scan.onError).
        Promise.resolve()
          .then(() => this.options.scanner.scan(spool, context))
          .then(
            (result) => this.guard('settling a scan', () => this.settle(bodyId, body, result)),
            (error: unknown) => this.fault('scanner', error),
          );
      },
      (error: unknown) => this.guard('spool', () => this.bodyFailed(bodyId, body, error)),
    );
  }

  private settle(bodyId: number, body: Body, result: BodyScanResult): void {
    if (this.ended || this.closing || body.result) return;
    body.result = result;
    clearTimeout(body.deadline);
    this.stopWaiting(body);
    const size = result.changed ? result.content.length : body.spool.size;
    this.options.engine.scanned(bodyId, { size, changed: result.changed });
    this.pump();
  }

  /** The client cannot wait (engine) or the scanner did not answer (relay deadline): scan.onError decides now. */
  private settleByPolicy(bodyId: number, message: string): void {
    const body = this.bodies.get(bodyId);
    if (!body || body.result) return;
    const result = this.options.scanner.timedOut?.(body.spool, body.context) ?? { changed: false };
    this.options.log.warn({ section: body.context.section, seq: body.context.seq, changed: result.changed }, message);
    queueMicrotask(() => this.guard('settling a scan', () => this.settle(bodyId, body, result)));
  }

  /** The spool could not keep this body: only its response fails (the engine decides how). */
  private bodyFailed(bodyId: number, body: Body, error: unknown): void {
    if (this.ended || this.closing || body.result) return;
    clearTimeout(body.deadline);
    this.stopWaiting(body);
    const reason = error instanceof Error ? error.message : String(error);
    this.options.log.error({ err: error, section: body.context.section, seq: body.context.seq }, 'message body could not be spooled');
    this.options.engine.bodyFailed(bodyId, reason);
    this.pump();
  }

  private stopWaiting(body: Body): void {
    if (!body.waitingCounted) return;
    body.waitingCounted = false;
    this.memory.scanWaiting(-1);
  }

  private release(bodyId: number): void {
    const body = this.bodies.get(bodyId);
    this.bodies.delete(bodyId);
    if (!body) return;
    clearTimeout(body.deadline);
    this.stopWaiting(body);
    // Released bodies may still be streaming to the client; free them once the writer is done with them.
    void this.clientWriter.whenIdle().then(() => this.disposeSpool(body));
  }

  private writeBody(output: Extract<EngineOutput, { kind: 'bodyToClient' }>): void {
    const body = this.bodies.get(output.bodyId);
    if (!body) throw new Error(`protocol engine referred to unknown body ${output.bodyId}`);
    const source: AsyncIterable<Buffer> | Iterable<Buffer> =
      body.result?.changed === true
        ? sliceChunks([body.result.content], output.start ?? 0, output.end ?? body.result.content.length)
        : body.spool.spilled || body.spool.failed
          ? body.spool.range(output.start, output.end)
          : body.spool.memoryRange(output.start, output.end);
    const encoded = output.encoding === 'pop3-dot-stuffed' ? dotStuffed(source, output.end === undefined) : source;
    if (Symbol.asyncIterator in encoded) return this.clientWriter.writeSource(encoded);
    for (const chunk of encoded) this.clientWriter.write(chunk);
  }

  // ── flow and the end of the session ──────────────────────────────────────────────────────────────

  /** Stops reading from a side while the other side cannot take more. */
  private updateFlow(): void {
    if (this.ended) return;
    const { client, upstream, engine } = this.options;
    this.memory.setQueuedClientBytes(engine.queuedClientBytes);
    const clientFull = this.clientWriter.pendingBytes > HIGH_WATER_BYTES || engine.queuedClientBytes > ENGINE_QUEUE_LIMIT_BYTES || this.memory.pauseUpstream;
    if (clientFull && !upstream.isPaused()) upstream.pause();
    else if (!clientFull && upstream.isPaused()) upstream.resume();
    const upstreamFull = upstream.writableLength > HIGH_WATER_BYTES;
    if (upstreamFull && !client.isPaused()) client.pause();
    else if (!upstreamFull && client.isPaused()) client.resume();
  }

  /** The server is done (end, close, error): the engine decides when the client has had everything. */
  private serverEnd(reason: string): void {
    if (this.serverEnded) return;
    this.serverEnded = true;
    this.serverWriter.stop();
    this.guard('server end', () => {
      if (this.closing) return;
      this.options.log.debug({ reason }, 'upstream ended');
      this.options.engine.end('server');
      this.pump();
      // Every held scan is settled by its deadline; an engine still not done well after that never will be.
      const limit = this.options.scanTimeoutMs + 2 * SCAN_DEADLINE_GRACE_MS;
      setTimeout(() => this.guard('server end', () => this.closeAfterWritten(`${reason}; nothing left to deliver`)), limit).unref();
    });
  }

  /** The client will not read any more (its end or an error): nothing is committed upstream after this. */
  private clientLost(reason: string): void {
    if (this.clientGone) return;
    this.clientGone = true;
    this.serverWriter.stop();
    this.guard('client end', () => {
      if (!this.closing) {
        this.options.engine.end('client');
        this.pump();
      }
      // Without its QUIT (never forwarded now), a POP3 server keeps every message (RFC 1939 §6).
      this.options.upstream.end();
      if (!this.closing) this.closeAfterWritten(reason);
    });
  }

  private clientWriteFailed(error: Error): void {
    this.options.log.warn({ err: error, halfWritten: this.clientWriter.busy }, 'writing to the client failed; closing the session');
    this.clientGone = true;
    this.finish(`writing to the client failed: ${error.message}`);
  }

  /** Everything emitted so far goes to the client, then both legs close. */
  private closeAfterWritten(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.serverWriter.stop();
    this.options.upstream.end();
    void this.clientWriter.whenIdle().then(() => {
      if (this.ended) return;
      this.options.client.end();
      setTimeout(() => this.finish(reason), CLOSE_GRACE_MS).unref();
    });
  }

  /**
   * The session's fault boundary: logs the fault with the session, settles every scan in progress by
   * scan.onError, never commits anything upstream, and closes only this session — at once when a body
   * is half-written to the client (nothing after it may follow), else after what was written.
   */
  private fault(stage: string, error: unknown): void {
    if (this.ended) return;
    this.options.log.error({ err: error, stage }, 'fault in the session; closing it');
    this.serverWriter.stop();
    const wasClosing = this.closing;
    this.closing = true;
    this.closeReason = `fault in ${stage}`;
    for (const [bodyId, body] of this.bodies) {
      if (!body.scanning || body.result) continue;
      clearTimeout(body.deadline);
      try {
        body.result = this.options.scanner.timedOut?.(body.spool, body.context) ?? { changed: false };
        this.options.log.warn({ bodyId, section: body.context.section, seq: body.context.seq }, 'scan settled by the scan.onError policy; the session closes without delivering it');
      } catch (settleError) {
        this.options.log.error({ err: settleError, bodyId }, 'settling a scan after a fault failed too');
      }
    }
    this.options.upstream.destroy();
    if (this.clientWriter.busy) return this.finish(`fault in ${stage}`);
    if (wasClosing) return;
    this.options.client.end();
    setTimeout(() => this.finish(`fault in ${stage}`), CLOSE_GRACE_MS).unref();
  }

  private disposeSpool(body: Body): void {
    try {
      body.spool.dispose();
    } catch (error) {
      this.options.log.warn({ err: error }, 'a spooled body could not be removed');
    }
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    reason = this.closeReason ?? reason;
    clearTimeout(this.wakeTimer);
    for (const body of this.bodies.values()) {
      clearTimeout(body.deadline);
      this.disposeSpool(body);
    }
    this.bodies.clear();
    this.memory.close();
    this.serverWriter.stop();
    try {
      this.options.onEnd(reason);
    } catch (error) {
      this.options.log.error({ err: error }, 'closing the session failed');
    }
  }
}

function dotStuffed(source: AsyncIterable<Buffer> | Iterable<Buffer>, whole: boolean): AsyncIterable<Buffer> | Iterable<Buffer> {
  const stuffer = new DotStuffer();
  if (Symbol.asyncIterator in source) {
    return (async function* () {
      for await (const chunk of source) yield stuffer.push(chunk);
      if (whole) yield stuffer.end();
    })();
  }
  const out: Buffer[] = [];
  for (const chunk of source) out.push(stuffer.push(chunk));
  if (whole) out.push(stuffer.end());
  return out;
}
