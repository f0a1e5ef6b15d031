// The socket adapter around a session core (protocol/session-core.ts): sockets, timers, spool files
// and the scan worker behind the core's ports. What the engine's outputs mean is decided in the core.
import type net from 'node:net';
import type { Logger } from 'pino';
import { DotStuffer } from '../pop3/dot-stuffing.js';
import type { ProtocolEngine } from '../protocol/engine.js';
import { memoryLimits } from '../protocol/limits.js';
import { processMemory } from '../protocol/memory-budget.js';
import type { PreludeOutput } from '../protocol/prelude.js';
import { SessionCore, type SessionCoreOptions, type SessionStats } from '../protocol/session-core.js';
import type { SessionLegs, SessionScanner, SessionServerActions, SessionTimers } from '../protocol/session-ports.js';
import type { BodyScanner } from '../scan/body-scanner.js';
import { BodySpool } from './body-spool.js';
import { segmentPool } from '../scan/segment-pool.js';
import { OrderedWriter } from './ordered-writer.js';
import { ServerWriter } from './server-writer.js';


export type { SessionStats as RelayStats } from '../protocol/session-core.js';

export interface Relay {
  stats(): SessionStats;
  /** True when the relay listens for both sockets' errors itself (the session then leaves them to it). */
  readonly handlesSocketErrors?: boolean;
}

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
  /** The proxy session's id, for holds. */
  session?: number;
  /** "host:port" of the upstream, for scan events. */
  upstreamName: string;
  /** Facts about the connection that rules can test. */
  upstreamIp?: string;
  application?: string;
  log: Logger;
  onEnd(reason: string): void;
  /** The client named itself (IMAP ID); true means stop inspecting this session. */
  onClientId?(name: string): boolean;
  /** Remediations for the account that logs in (IMAP). */
  serverActions?: SessionServerActions;
}

/**
 * Drives a protocol engine between the two sockets through a session core, with backpressure in both
 * directions. Socket events enter the core's fault boundary; only this session closes on a fault.
 */
export function startEngineRelay(options: EngineRelayOptions): Relay {
  const relay = new EngineRelay(options);
  relay.start(options.ready);
  return relay;
}

/**
 * One relayed session; it is also the core's legs. The socket listeners are functions shared by every
 * session (the socket is `this`; `relayOf` finds its session), so an idle session holds no closure per
 * socket event. The options are not kept: the prelude's leftover bytes go to the core and are dropped.
 */
class EngineRelay implements Relay, SessionLegs {
  readonly handlesSocketErrors = true;
  readonly core: SessionCore;
  readonly log: Logger;
  private readonly client: net.Socket;
  private readonly upstream: net.Socket;

  constructor(options: EngineRelayOptions) {
    const { client, upstream, log, memoryBufferBytes } = options;
    this.client = client;
    this.upstream = upstream;
    this.log = log;
    const limits = memoryLimits(memoryBufferBytes);
    const unspillableBytes = limits.unspillableBodyBytes;
    const memory = processMemory.openSession(limits);
    // The sinks report back to the core, which exists once they do.
    let core: SessionCore | undefined;
    const clientWriter = new OrderedWriter(
      client,
      (error) => {
        log.warn({ err: error, halfWritten: clientWriter.busy }, 'writing to the client failed; closing the session');
        core?.clientDisconnected(`writing to the client failed: ${error.message}`);
      },
      () => core?.flowChanged(),
    );
    const serverWriter = new ServerWriter(
      upstream,
      () => clientWriter.whenDelivered(),
      (bytes) => log.info({ bytes }, 'deleting command not forwarded: the client did not receive everything before it'),
      (error) => core?.fault('forwarding to the server', error),
    );
    core = new SessionCore({
      engine: options.engine,
      client: clientWriter,
      server: serverWriter,
      legs: this,
      scanner: promisedScanner(options.scanner),
      openSpool: (announcedSize) => new BodySpool(memoryBufferBytes, { memory, unspillableBytes, announcedSize, segments: segmentPool }),
      memory,
      timers: nodeTimers,
      clock: Date.now,
      scanTimeoutMs: options.scanTimeoutMs,
      encoders: ENCODERS,
      facts: { session: options.session, listener: options.listener, upstream: options.upstreamName, upstreamIp: options.upstreamIp, application: options.application },
      log,
      onEnd: options.onEnd,
      onClientId: options.onClientId,
      serverActions: options.serverActions,
    });
    this.core = core;
  }

  start(ready: EngineRelayOptions['ready']): void {
    const { client, upstream } = this;
    relays.set(client, this);
    relays.set(upstream, this);
    client.on('error', clientError);
    upstream.on('error', upstreamError);
    client.on('data', clientData);
    upstream.on('data', upstreamData);
    client.on('drain', socketDrained);
    upstream.on('drain', socketDrained);
    client.once('end', clientEnded);
    upstream.once('end', upstreamEnded);
    client.once('close', clientGone);
    upstream.once('close', upstreamEnded);
    this.core.start(ready.serverBytes, ready.clientBytes);
  }

  stats(): SessionStats {
    return this.core.stats();
  }

  setReading(side: 'client' | 'server', reading: boolean): void {
    const socket = side === 'client' ? this.client : this.upstream;
    if (!reading && !socket.isPaused()) socket.pause();
    else if (reading && socket.isPaused()) socket.resume();
  }

  endServer(): void {
    this.upstream.end();
  }

  abortServer(): void {
    this.upstream.destroy();
  }

  endClient(): void {
    this.client.end();
  }
}

const relays = new WeakMap<net.Socket, EngineRelay>();

function relayOf(socket: net.Socket): EngineRelay {
  return relays.get(socket)!;
}

function clientData(this: net.Socket, chunk: Buffer): void {
  relayOf(this).core.fromClient(chunk);
}

function upstreamData(this: net.Socket, chunk: Buffer): void {
  relayOf(this).core.fromServer(chunk);
}

function socketDrained(this: net.Socket): void {
  relayOf(this).core.flowChanged();
}

function clientError(this: net.Socket, error: NodeJS.ErrnoException): void {
  relayOf(this).core.clientClosed(`client socket error: ${error.code ?? error.message}`);
}

function upstreamError(this: net.Socket, error: NodeJS.ErrnoException): void {
  // A read error or reset, like the server's end, never discards what is held.
  const reason = `upstream socket error: ${error.code ?? error.message}`;
  const relay = relayOf(this);
  relay.log.info({ reason }, 'upstream failed; delivering what is held before closing');
  relay.core.serverClosed(reason);
}

function clientEnded(this: net.Socket): void {
  relayOf(this).core.clientClosed('client closed the connection');
}

function clientGone(this: net.Socket): void {
  relayOf(this).core.clientDisconnected('client closed the connection');
}

function upstreamEnded(this: net.Socket): void {
  relayOf(this).core.serverClosed('upstream closed the connection');
}

const ENCODERS: SessionCoreOptions['encoders'] = { 'pop3-dot-stuffed': () => new DotStuffer() };

const nodeTimers: SessionTimers = {
  after(ms, _purpose, fire) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

const sessionScanners = new WeakMap<BodyScanner, SessionScanner>();

/** The scan worker's promise, as the core's answer callbacks (one adapter per scanner, shared by its sessions). */
function promisedScanner(scanner: BodyScanner): SessionScanner {
  let adapter = sessionScanners.get(scanner);
  if (adapter === undefined) {
    adapter = scannerAdapter(scanner);
    sessionScanners.set(scanner, adapter);
  }
  return adapter;
}

function scannerAdapter(scanner: BodyScanner): SessionScanner {
  return {
    scan(_bodyId, body, context, answer) {
      Promise.resolve()
        .then(() => scanner.scan(body, context))
        .then(
          (result) => answer.verdict(result),
          (error: unknown) => answer.failed(error),
        );
    },
    ...(scanner.timedOut ? { timedOut: (body, context) => scanner.timedOut!(body, context) } : {}),
    ...(scanner.lost ? { lost: (context, reason) => scanner.lost!(context, reason) } : {}),
    ...(scanner.wholeOriginal ? { wholeOriginal: (id, original) => scanner.wholeOriginal!(id, original) } : {}),
    ...(scanner.prewarm ? { prewarm: () => scanner.prewarm!() } : {}),
  };
}
