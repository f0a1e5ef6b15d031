// The socket adapter around a session core (protocol/session-core.ts): sockets, timers, spool files
// and the scan worker behind the core's ports. What the engine's outputs mean is decided in the core.
import type net from 'node:net';
import type { Logger } from 'pino';
import { DotStuffer } from '../pop3/dot-stuffing.js';
import type { ProtocolEngine } from '../protocol/engine.js';
import { memoryLimits } from '../protocol/limits.js';
import { processMemory } from '../protocol/memory-budget.js';
import type { PreludeOutput } from '../protocol/prelude.js';
import { SessionCore, type SessionStats } from '../protocol/session-core.js';
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
  const { client, upstream, ready, log } = options;
  const limits = memoryLimits(options.memoryBufferBytes);
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
    legs: socketLegs(client, upstream),
    scanner: promisedScanner(options.scanner),
    openSpool: (announcedSize) => new BodySpool(options.memoryBufferBytes, { memory, unspillableBytes: limits.unspillableBodyBytes, announcedSize, segments: segmentPool }),
    memory,
    timers: nodeTimers,
    clock: Date.now,
    scanTimeoutMs: options.scanTimeoutMs,
    encoders: { 'pop3-dot-stuffed': () => new DotStuffer() },
    facts: { session: options.session, listener: options.listener, upstream: options.upstreamName, upstreamIp: options.upstreamIp, application: options.application },
    log,
    onEnd: options.onEnd,
    onClientId: options.onClientId,
    serverActions: options.serverActions,
  });
  const session = core;

  client.on('error', (error: NodeJS.ErrnoException) => session.clientClosed(`client socket error: ${error.code ?? error.message}`));
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    // A read error or reset, like the server's end, never discards what is held.
    const reason = `upstream socket error: ${error.code ?? error.message}`;
    log.info({ reason }, 'upstream failed; delivering what is held before closing');
    session.serverClosed(reason);
  });
  client.on('data', (chunk: Buffer) => session.fromClient(chunk));
  upstream.on('data', (chunk: Buffer) => session.fromServer(chunk));
  client.on('drain', () => session.flowChanged());
  upstream.on('drain', () => session.flowChanged());
  client.once('end', () => session.clientClosed('client closed the connection'));
  upstream.once('end', () => session.serverClosed('upstream closed the connection'));
  client.once('close', () => session.clientDisconnected('client closed the connection'));
  upstream.once('close', () => session.serverClosed('upstream closed the connection'));

  session.start(ready.serverBytes, ready.clientBytes);
  return { handlesSocketErrors: true, stats: () => session.stats() };
}

function socketLegs(client: net.Socket, upstream: net.Socket): SessionLegs {
  return {
    setReading(side, reading) {
      const socket = side === 'client' ? client : upstream;
      if (!reading && !socket.isPaused()) socket.pause();
      else if (reading && socket.isPaused()) socket.resume();
    },
    endServer: () => upstream.end(),
    abortServer: () => upstream.destroy(),
    endClient: () => client.end(),
  };
}

const nodeTimers: SessionTimers = {
  after(ms, _purpose, fire) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** The scan worker's promise, as the core's answer callbacks. */
function promisedScanner(scanner: BodyScanner): SessionScanner {
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
  };
}
