// Runs a prelude (greeting, STARTTLS/STLS on either leg) between the two sockets until it is ready:
// feeds it what each socket reads, writes what it emits, and upgrades a leg to TLS when it asks.
import type net from 'node:net';
import type { Logger } from 'pino';
import type { Prelude, PreludeOutput } from '../protocol/prelude.js';
import { acceptClientTls, type CertificateSource } from './client-tls.js';
import { connectTls, type UpstreamTarget } from './upstream.js';

export type Ready = Extract<PreludeOutput, { kind: 'ready' }>;

export interface PreludePumpOptions {
  prelude: Prelude;
  client: net.Socket;
  upstream: net.Socket;
  certificates: CertificateSource;
  target: UpstreamTarget;
  log: Logger;
  /** True once the session has ended: nothing more is done. */
  closed(): boolean;
  /** A leg now runs over TLS: the session adopts (and watches) the new socket. */
  upgraded(side: 'client' | 'upstream', secure: net.Socket): void;
  /** Negotiation finished; both sockets are paused until the relay resumes them. */
  ready(output: Ready, client: net.Socket, upstream: net.Socket): void;
  /** Ends the session at once. */
  close(reason: string): void;
  /** Flushes what was written, then ends both legs. */
  closeAfterWrite(reason: string): void;
  /** The upstream STARTTLS failed: the client is told and the session ends. */
  upstreamFailed(error: Error): void;
  /** The session's fault boundary. */
  fault(stage: string, error: unknown): void;
}

export function pumpPrelude(options: PreludePumpOptions): void {
  new PreludePump(options).start();
}

class PreludePump {
  private client: net.Socket;
  private upstream: net.Socket;
  private prelude: Prelude | undefined;

  constructor(private readonly options: PreludePumpOptions) {
    this.client = options.client;
    this.upstream = options.upstream;
    this.prelude = options.prelude;
  }

  start(): void {
    this.listen('client');
    this.listen('upstream');
  }

  private readonly onClientData = this.guarded('negotiation (client data)', (bytes: Buffer): void => {
    this.prelude?.fromClient(bytes);
    this.handleOutputs();
  });

  private readonly onServerData = this.guarded('negotiation (server data)', (bytes: Buffer): void => {
    this.prelude?.fromServer(bytes);
    this.handleOutputs();
  });

  /** Runs a socket handler inside the session's fault boundary. */
  private guarded<T extends unknown[]>(stage: string, handler: (...args: T) => void): (...args: T) => void {
    return (...args: T) => {
      if (this.options.closed()) return;
      try {
        handler(...args);
      } catch (error) {
        this.options.fault(stage, error);
      }
    };
  }

  private listen(side: 'client' | 'upstream'): void {
    if (side === 'client') this.client.on('data', this.onClientData);
    else this.upstream.on('data', this.onServerData);
  }

  private stopListening(side: 'client' | 'upstream'): void {
    if (side === 'client') this.client.removeListener('data', this.onClientData);
    else this.upstream.removeListener('data', this.onServerData);
  }

  private handleOutputs(): void {
    if (!this.prelude || this.options.closed()) return;
    for (const output of this.prelude.drain()) this.handle(output);
  }

  private handle(output: PreludeOutput): void {
    switch (output.kind) {
      case 'toClient':
        this.client.write(output.bytes);
        return;
      case 'toServer':
        this.upstream.write(output.bytes);
        return;
      case 'startTls':
        return output.side === 'client' ? this.upgradeClient() : this.upgradeUpstream();
      case 'protocolError':
        this.options.log.warn({ type: 'protocol-error', side: output.side, limit: output.limit, value: output.value }, 'protocol limit exceeded');
        return;
      case 'close':
        this.options.log.info({ reason: output.reason }, 'session ended during negotiation');
        return this.options.closeAfterWrite(output.reason);
      case 'ready':
        this.stopListening('client');
        this.stopListening('upstream');
        this.prelude = undefined;
        // Nothing is read while the inspection is decided; the relay resumes both sockets.
        this.client.pause();
        this.upstream.pause();
        this.options.ready(output, this.client, this.upstream);
    }
  }

  // The plain socket's data listener is removed synchronously, inside the data event that carried
  // the STARTTLS command, so no later plaintext byte can reach the prelude (command injection).
  private upgradeClient(): void {
    this.stopListening('client');
    acceptClientTls(this.client, this.options.certificates)
      .then(
        (secure) => {
          if (this.options.closed()) return secure.destroy();
          this.client = secure;
          this.options.upgraded('client', secure);
          this.listen('client');
          this.prelude?.tlsReady('client');
          this.handleOutputs();
        },
        (error: Error) => {
          this.options.log.info({ reason: error.message }, 'client STARTTLS handshake failed');
          this.options.close('client STARTTLS handshake failed');
        },
      )
      .catch((error: unknown) => this.options.fault('client STARTTLS', error));
  }

  private upgradeUpstream(): void {
    this.stopListening('upstream');
    connectTls(this.options.target, this.upstream)
      .then(
        (secure) => {
          if (this.options.closed()) return secure.destroy();
          this.upstream = secure;
          this.options.upgraded('upstream', secure);
          this.listen('upstream');
          this.prelude?.tlsReady('server');
          this.handleOutputs();
        },
        (error: Error) => this.options.upstreamFailed(error),
      )
      .catch((error: unknown) => this.options.fault('upstream STARTTLS', error));
  }
}
