import type net from 'node:net';
import type { Logger } from 'pino';
import { DotStuffer } from '../pop3/dot-stuffing.js';
import type { BodyContext, EngineOutput, ProtocolEngine } from '../protocol/engine.js';
import { memoryLimits } from '../protocol/limits.js';
import { processMemory, type SessionMemory } from '../protocol/memory-budget.js';
import type { PreludeOutput } from '../protocol/prelude.js';
import type { BodyScanner, BodyScanResult } from '../scan/body-scanner.js';
import { BodySpool, sliceChunks } from './body-spool.js';
import { OrderedWriter } from './ordered-writer.js';

export interface RelayStats {
  bytesFromClient: number;
  bytesFromServer: number;
}

export interface Relay {
  stats(): RelayStats;
}

const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const ENGINE_QUEUE_LIMIT_BYTES = 8 * 1024 * 1024;
const TICK_MS = 1000;
const CLOSE_GRACE_MS = 5_000;

export interface EngineRelayOptions {
  client: net.Socket;
  upstream: net.Socket;
  ready: Extract<PreludeOutput, { kind: 'ready' }>;
  engine: ProtocolEngine;
  scanner: BodyScanner;
  memoryBufferBytes: number;
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
  /** Set once the engine has been told the outcome (by the scanner, or by the timeout policy). */
  result?: BodyScanResult;
}

/**
 * Drives a protocol engine between the two sockets: feeds it bytes, spools the bodies it announces,
 * has them scanned, and writes what it emits in order, with backpressure in both directions.
 */
export function startEngineRelay(options: EngineRelayOptions): Relay {
  return new EngineRelay(options);
}

class EngineRelay implements Relay {
  private readonly bodies = new Map<number, Body>();
  private readonly clientWriter: OrderedWriter;
  private readonly counters: RelayStats = { bytesFromClient: 0, bytesFromServer: 0 };
  private readonly ticker: NodeJS.Timeout;
  private ended = false;
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
    this.clientWriter = new OrderedWriter(client, (error) => this.finish(`writing to the client failed: ${error.message}`), () => this.updateFlow());
    this.ticker = setInterval(() => {
      engine.tick(Date.now());
      this.pump();
    }, TICK_MS);
    this.ticker.unref();

    client.on('data', (chunk: Buffer) => {
      this.counters.bytesFromClient += chunk.length;
      engine.fromClient(chunk);
      this.pump();
    });
    upstream.on('data', (chunk: Buffer) => {
      this.counters.bytesFromServer += chunk.length;
      engine.fromServer(chunk);
      this.pump();
    });
    client.on('drain', () => this.updateFlow());
    upstream.on('drain', () => this.updateFlow());
    client.once('end', () => {
      engine.end('client');
      this.pump();
      upstream.end();
    });
    upstream.once('end', () => {
      engine.end('server');
      this.pump();
      this.endClientWhenWritten();
    });
    client.once('close', () => this.finish('client closed the connection'));
    upstream.once('close', () => this.endClientWhenWritten());

    if (ready.serverBytes.length > 0) engine.fromServer(ready.serverBytes);
    if (ready.clientBytes.length > 0) engine.fromClient(ready.clientBytes);
    this.counters.bytesFromServer += ready.serverBytes.length;
    this.counters.bytesFromClient += ready.clientBytes.length;
    this.pump();
  }

  stats(): RelayStats {
    return { ...this.counters };
  }

  private pump(): void {
    if (this.ended) return;
    // Handling an output may make the engine produce more (pass-through), so drain until it is empty.
    for (let outputs = this.options.engine.drain(); outputs.length > 0 && !this.ended; outputs = this.options.engine.drain()) {
      for (const output of outputs) this.handle(output);
    }
    this.updateFlow();
  }

  private clientIdentified(name: string): void {
    this.application ??= name;
    if (this.options.onClientId?.(name)) this.options.engine.passThrough?.();
  }

  private handle(output: EngineOutput): void {
    switch (output.kind) {
      case 'toClient':
        return this.clientWriter.write(output.bytes);
      case 'toServer':
        this.options.upstream.write(output.bytes);
        return;
      case 'bodyBegin':
        this.bodies.set(output.bodyId, {
          spool: new BodySpool(this.options.memoryBufferBytes, { memory: this.memory, unspillableBytes: this.unspillableBodyBytes }),
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
        this.bodies.get(output.bodyId)?.spool.append(output.bytes);
        return;
      case 'bodyEnd': {
        const body = this.bodies.get(output.bodyId);
        if (body && output.context) Object.assign(body.context, output.context);
        return this.scan(output.bodyId);
      }
      case 'bodyToClient':
        return this.writeBody(output);
      case 'bodyRelease': {
        const body = this.bodies.get(output.bodyId);
        this.bodies.delete(output.bodyId);
        // Released bodies may still be streaming to the client; free them once the writer is done with them.
        if (body) void this.clientWriter.whenIdle().then(() => body.spool.dispose());
        return;
      }
      case 'event':
        this.options.log.info(output.event, output.event.type);
        if (output.event.type === 'scan-timeout') this.settleTimedOut(Number(output.event.bodyId));
        if (output.event.type === 'imap-id' && typeof output.event.name === 'string') this.clientIdentified(output.event.name);
        return;
      case 'close':
        this.options.log.info({ reason: output.reason }, 'protocol engine closed the session');
        this.options.upstream.end();
        return this.endClientWhenWritten(output.reason);
    }
  }

  private scan(bodyId: number): void {
    const body = this.bodies.get(bodyId);
    if (!body) return;
    const { spool, context } = body;
    this.memory.scanWaiting(1);
    spool
      .finish()
      // A lost body (disk full and too large for memory) still goes to the scanner: its readAll() fails, and scan.onError decides, with an event.
      .catch(() => undefined)
      .then(() => (this.ended ? undefined : this.options.scanner.scan(spool, context)))
      .then(
        (result) => result,
        (error: Error): BodyScanResult | undefined => {
          // The scanner owns the scan.onError policy; reaching this means it failed outright.
          this.options.log.error({ err: error, section: context.section }, 'scanner failed; delivering the message unchanged');
          return { changed: false };
        },
      )
      .then((result) => {
        this.memory.scanWaiting(-1);
        if (!result) return;
        // The original is gone; unless a replacement was decided, the session ends before a half-written literal.
        if (spool.failed && !result.changed) return this.finish(`message body lost: ${spool.failed.message}`);
        this.settle(bodyId, body, result);
      });
  }

  private settle(bodyId: number, body: Body, result: BodyScanResult): void {
    if (this.ended || body.result) return;
    body.result = result;
    const size = result.changed ? result.content.length : body.spool.size;
    this.options.engine.scanned(bodyId, { size, changed: result.changed });
    this.pump();
  }

  private settleTimedOut(bodyId: number): void {
    const body = this.bodies.get(bodyId);
    if (!body || body.result) return;
    const result = this.options.scanner.timedOut?.(body.spool, body.context) ?? { changed: false };
    this.options.log.warn({ section: body.context.section, seq: body.context.seq, changed: result.changed }, 'scan took too long for the client; settled by the scan.onError policy');
    queueMicrotask(() => this.settle(bodyId, body, result));
  }

  private writeBody(output: Extract<EngineOutput, { kind: 'bodyToClient' }>): void {
    const body = this.bodies.get(output.bodyId);
    if (!body) {
      this.finish(`protocol engine referred to unknown body ${output.bodyId}`);
      return;
    }
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

  private endClientWhenWritten(reason = 'upstream closed the connection'): void {
    void this.clientWriter.whenIdle().then(() => {
      this.options.client.end();
      setTimeout(() => this.finish(reason), CLOSE_GRACE_MS).unref();
    });
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.ticker);
    for (const body of this.bodies.values()) body.spool.dispose();
    this.bodies.clear();
    this.memory.close();
    this.options.onEnd(reason);
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
