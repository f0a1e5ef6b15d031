import type net from 'node:net';
import type { Logger } from 'pino';
import type { ListenerConfig } from '../config/schema.js';
import type { Protocol } from '../protocol/engine.js';
import type { ScannedCopyStore, SessionServerActions } from '../protocol/session-ports.js';
import { CLOSE_GRACE_MS } from '../protocol/session-core.js';
import { acceptClientTls, type CertificateSource } from './client-tls.js';
import { assumedProtocol, createPrelude, fatalLine } from './prelude-factory.js';
import type { BodyScanner } from '../scan/body-scanner.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Config } from '../config/schema.js';
import { applicationExclusion, decideInspection, transportKind } from './inspection.js';
import { describeApplication } from './application-match.js';
import { needsClientApplication } from './application-needed.js';
import { awaitLookup, lookupClientApplication, type ClientApplication, type ClientLookup, type LookupClient } from './client-process/index.js';
import type { LiveExcludedIps } from './excluded-ips.js';
import { createEngine } from './engine-factory.js';
import { pumpPrelude, type Ready } from './prelude-pump.js';
import { startEngineRelay, type Relay } from './engine-relay.js';
import { startPipeRelay } from './pipe-relay.js';
import { connectPlain, connectTls, UpstreamError, type UpstreamTarget } from './upstream.js';
import { scanDeadlineSeconds } from '../scan/analysis/hold-deadline.js';

/** Longer than IMAP IDLE's 29-minute re-issue interval (RFC 2177), so idle clients are not cut off. */
export const IDLE_TIMEOUT_MS = 31 * 60 * 1000;

export interface SessionContext {
  id: number;
  listener: ListenerConfig;
  target: UpstreamTarget;
  certificates: CertificateSource;
  /** Read when the relay starts, so a reload applies to new sessions and never disturbs this one. */
  live: LiveConfig;
  scanner: BodyScanner;
  excludedIps: LiveExcludedIps;
  lookupClient: LookupClient;
  /** How long the decision, otherwise ready, waits for the client-program lookup (default 3 s); then the connection is inspected. */
  lookupTimeoutMs?: number;
  log: Logger;
  /** Retroactive remediation for the account that logs in (IMAP). */
  serverActionsFor?(upstream: string): SessionServerActions;
  /** Scanned copies shared by the sessions of one account on `upstream` (IMAP). */
  scannedCopiesFor?(upstream: string): ScannedCopyStore;
  onClosed(session: Session): void;
}

/**
 * One client connection: accepts client TLS, opens and verifies the upstream leg, runs the prelude
 * (greeting, STARTTLS/STLS on either leg), then hands both sockets to the relay.
 */
export class Session {
  private client: net.Socket;
  private upstream: net.Socket | undefined;
  private relay: Relay | undefined;
  private closed = false;
  private readonly startedAt = Date.now();
  private readonly log: Logger;
  private protocol: Protocol;
  private readonly sockets = new Set<net.Socket>();
  /** The configuration this connection works with, taken when it was accepted. */
  private readonly settings: Config;
  private application: Promise<ClientLookup> | undefined;
  private ipExclusion: Promise<string | undefined> = Promise.resolve(undefined);

  constructor(
    private readonly rawClient: net.Socket,
    private readonly context: SessionContext,
  ) {
    this.client = rawClient;
    this.log = context.log.child({ session: context.id, listener: context.listener.name });
    this.settings = context.live.current;
    this.protocol = assumedProtocol(context.listener.protocol, context.target.port, this.settings.tlsPorts);
  }

  async start(): Promise<void> {
    const { listener, target } = this.context;
    this.track(this.rawClient, 'client');
    this.log.info({ client: `${this.rawClient.remoteAddress}:${this.rawClient.remotePort}`, upstream: `${target.host}:${target.port}` }, 'connection accepted');
    // Only when an exclusion or a rule can use the answer; it runs while both legs negotiate, and the
    // decision waits for it only at the end of the prelude.
    if (needsClientApplication(this.settings)) this.application = lookupClientApplication(this.context.lookupClient, this.rawClient);
    if (target.insecureSkipVerify) {
      this.log.warn({ upstream: target.host }, 'upstream certificate verification is DISABLED for this listener (insecureSkipVerify)');
    }
    const upstreamReady = listener.upstreamTls === 'implicit' ? connectTls(target) : connectPlain(target);
    upstreamReady.catch(() => undefined); // handled below, after the client leg is ready
    try {
      if (listener.tls === 'implicit') {
        this.client = await acceptClientTls(this.rawClient, this.context.certificates);
        this.sockets.add(this.client);
        this.client.on('error', (error: NodeJS.ErrnoException) => this.socketError('client', error));
      }
    } catch (error) {
      this.log.info({ reason: (error as Error).message }, 'client TLS handshake failed');
      upstreamReady.then((socket) => socket.destroy(), () => undefined);
      return this.close('client TLS handshake failed');
    }
    if (this.closed) return;
    try {
      this.upstream = await upstreamReady;
    } catch (error) {
      return this.failToClient(error as Error);
    }
    this.track(this.upstream, 'upstream');
    if (this.closed) return;
    const upstreamIp = this.upstream.remoteAddress;
    if (upstreamIp) this.ipExclusion = this.context.excludedIps.current.match(upstreamIp).catch(() => undefined);
    this.logUpstreamTls();
    this.runPrelude();
  }

  /** Ends the session at once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log.info({ reason, ms: Date.now() - this.startedAt, ...this.relay?.stats() }, 'session closed');
    for (const socket of this.sockets) socket.destroy();
    this.context.onClosed(this);
  }

  /** Flushes what was written, then ends both legs. */
  private closeAfterWrite(reason: string): void {
    if (this.closed) return;
    this.client.end();
    this.upstream?.end();
    setTimeout(() => this.close(reason), CLOSE_GRACE_MS).unref();
    this.client.once('close', () => this.close(reason));
  }

  private track(socket: net.Socket, side: 'client' | 'upstream'): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_TIMEOUT_MS);
    socket.on('timeout', () => this.close(`${side} idle for ${IDLE_TIMEOUT_MS / 60000} minutes`));
    socket.on('error', (error: NodeJS.ErrnoException) => this.socketError(side, error));
    socket.on('close', () => {
      if (!this.relay) this.close(`${side} closed the connection`);
    });
  }

  private socketError(side: 'client' | 'upstream', error: NodeJS.ErrnoException): void {
    // The engine relay turns socket errors into the end of that leg and drains what is held first.
    if (this.relay?.handlesSocketErrors) return;
    this.close(`${side} socket error: ${error.code ?? error.message}`);
  }

  /** The session's fault boundary outside the relay: log with the session id, close only this session. */
  private fault(stage: string, error: unknown): void {
    this.log.error({ err: error, stage }, 'fault in the session; closing it');
    this.close(`fault in ${stage}`);
  }

  private failToClient(error: Error): void {
    const kind = error instanceof UpstreamError ? error.kind : 'connect';
    this.log.warn({ kind, code: (error as UpstreamError).code, reason: error.message }, 'upstream connection failed');
    this.client.write(fatalLine(this.protocol, error.message));
    this.closeAfterWrite(`upstream failed: ${error.message}`);
  }

  private logUpstreamTls(): void {
    const upstream = this.upstream as net.Socket & { getProtocol?: () => string | null; getCipher?: () => { name: string } };
    if (typeof upstream.getProtocol === 'function') {
      this.log.info({ tls: upstream.getProtocol(), cipher: upstream.getCipher?.().name }, 'upstream TLS established');
    }
  }

  private runPrelude(): void {
    const { listener, certificates, target } = this.context;
    pumpPrelude({
      prelude: createPrelude(listener.protocol, { clientTls: listener.tls, upstreamTls: listener.upstreamTls }),
      client: this.client,
      upstream: this.upstream as net.Socket,
      certificates,
      target,
      log: this.log,
      closed: () => this.closed,
      upgraded: (side, secure) => this.adoptSecure(side, secure),
      ready: (output) => {
        const ready = detachedReady(output);
        this.protocol = ready.protocol;
        this.log.debug({ protocol: ready.protocol }, 'negotiation finished, relaying');
        this.decideAndRelay(ready).catch((error: unknown) => this.fault('starting the relay', error));
      },
      close: (reason) => this.close(reason),
      closeAfterWrite: (reason) => this.closeAfterWrite(reason),
      upstreamFailed: (error) => this.failToClient(error),
      fault: (stage, error) => this.fault(stage, error),
    });
  }

  /** A leg was upgraded to TLS during the prelude: the session now reads and closes the secure socket. */
  private adoptSecure(side: 'client' | 'upstream', secure: net.Socket): void {
    if (side === 'client') this.client = secure;
    else this.upstream = secure;
    this.sockets.add(secure);
    secure.on('error', (error: NodeJS.ErrnoException) => this.socketError(side, error));
    if (side === 'upstream') this.logUpstreamTls();
  }

  private async decideAndRelay(ready: Ready): Promise<void> {
    const ipExclusion = await this.ipExclusion;
    const kind = transportKind(ready.protocol, this.context.listener.tls);
    // Protection off, protocol off or an excluded IP decide without the application: no wait for it.
    const decidedWithout = !decideInspection(this.settings, { kind, ipExclusion, application: {} }).inspect;
    const lookup = this.application && !decidedWithout ? await awaitLookup(this.application, this.context.lookupTimeoutMs) : undefined;
    if (this.closed) return;
    const process = lookup && 'application' in lookup ? lookup.application : undefined;
    const inspection = decideInspection(this.settings, { kind, ipExclusion, application: { process } });
    this.log.info(
      {
        protocol: kind,
        upstreamIp: this.upstream?.remoteAddress,
        ...(lookup && ('application' in lookup ? { application: lookup.application } : { applicationUnknown: lookup.unknown })),
        inspection: inspection.reason,
      },
      'connection relayed',
    );
    this.relay = inspection.inspect ? this.startEngineRelay(ready, process ? describeApplication(process) : undefined, process) : this.startPipeRelay(ready);
  }

  private startPipeRelay(ready: Ready): Relay {
    return startPipeRelay({ client: this.client, upstream: this.upstream as net.Socket, ready, onEnd: (reason) => this.close(reason) });
  }

  private startEngineRelay(ready: Ready, application: string | undefined, process: ClientApplication | undefined): Relay {
    const { scanner, listener } = this.context;
    const settings = this.settings;
    const upstreamName = `${this.context.target.host}:${this.context.target.port}`;
    return startEngineRelay({
      client: this.client,
      upstream: this.upstream as net.Socket,
      ready,
      log: this.log,
      onEnd: (reason: string) => this.close(reason),
      engine: createEngine(ready.protocol, settings, ready.greetingPending, listener.name, this.context.scannedCopiesFor?.(upstreamName)),
      scanner,
      memoryBufferBytes: settings.scan.memoryBufferBytes,
      scanTimeoutMs: scanDeadlineSeconds(settings) * 1000,
      session: this.context.id,
      listener: listener.name,
      upstreamName,
      serverActions: this.context.serverActionsFor?.(upstreamName),
      upstreamIp: this.upstream?.remoteAddress,
      application,
      onClientId: (name) => this.clientIdentified(name, process),
    });
  }

  /** IMAP ID arrived: an application excluded by that name is relayed without inspection from now on. */
  private clientIdentified(name: string, process: ClientApplication | undefined): boolean {
    const reason = applicationExclusion(this.settings, { process, imapIdName: name });
    if (!reason) return false;
    this.log.info({ imapIdName: name, inspection: reason }, 'inspection switched off');
    return true;
  }
}

/**
 * `ready` with its bytes copied out of the buffers they were read into. The prelude's bytes are often
 * slices of a shared 8 KiB allocation pool (Buffer.concat) or of a larger read, which anything that keeps
 * a view of them (a partial line, a held piece) would keep whole: 3.4 KiB a session, measured when the
 * relay still kept `ready` for the session's life (it no longer does).
 */
export function detachedReady(ready: Ready): Ready {
  return { ...ready, serverBytes: ownCopy(ready.serverBytes), clientBytes: ownCopy(ready.clientBytes) };
}

function ownCopy(bytes: Buffer): Buffer {
  const copy = Buffer.alloc(bytes.length); // never from the shared pool
  bytes.copy(copy);
  return copy;
}
