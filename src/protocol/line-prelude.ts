import type { Protocol } from './engine.js';
import { LineBuffer } from './line-buffer.js';
import { DEFAULT_PROTOCOL_LIMITS, type LimitHit } from './limits.js';
import type { Prelude, PreludeOptions, PreludeOutput } from './prelude.js';

const LIMITS = DEFAULT_PROTOCOL_LIMITS.prelude;

export type PreludeState = 'greeting' | 'upstream-upgrade' | 'upstream-upgrading' | 'client-plain' | 'client-upgrading' | 'done';

/**
 * The line-based machinery both protocols share: greeting, optional upstream STARTTLS/STLS, and on a
 * STARTTLS client-side listener a plaintext phase the proxy answers itself until the client upgrades.
 * Subclasses supply the protocol's words.
 */
export abstract class LinePrelude implements Prelude {
  protected state: PreludeState = 'greeting';
  protected outputs: PreludeOutput[] = [];
  protected greeting: Buffer = Buffer.alloc(0);
  private readonly server = new LineBuffer(LIMITS.lineBytes);
  private readonly client = new LineBuffer(LIMITS.lineBytes);
  private serverHeld: Buffer[] = [];
  private serverHeldBytes = 0;
  private clientBytesSeen = 0;

  protected abstract readonly protocol: Protocol;

  constructor(protected readonly options: PreludeOptions) {}

  /** Handles the greeting line: calls requestUpstreamUpgrade / afterUpstreamReady, or fails. */
  protected abstract onGreeting(line: Buffer): void;
  /** Handles a server line while waiting for the answer to our STARTTLS/STLS. */
  protected abstract onUpstreamUpgradeReply(line: Buffer): void;
  /** Answers a client command in the plaintext phase of a STARTTLS listener. */
  protected abstract onPlainClientCommand(text: string): void;
  /** What the client sees first on a STARTTLS listener. */
  protected abstract plainGreeting(): Buffer;
  /** The greeting as forwarded to the client when the proxy does not greet it itself. */
  protected abstract forwardableGreeting(): Buffer;
  /** One line that ends the session for the client, in this protocol's words. */
  protected abstract fatalLine(reason: string): Buffer;

  fromServer(bytes: Buffer): void {
    if (this.state === 'done' || this.state === 'upstream-upgrading') return; // nothing may arrive between OK and the handshake
    if (this.state === 'client-plain' || this.state === 'client-upgrading') {
      this.holdServerBytes(bytes);
      return;
    }
    this.server.push(bytes);
    this.processServer();
  }

  fromClient(bytes: Buffer): void {
    if (this.state === 'done' || this.state === 'client-upgrading') return;
    this.clientBytesSeen += bytes.length;
    if (this.state !== 'client-plain' && this.clientBytesSeen > LIMITS.heldBytes) {
      return this.limitHit({ side: 'client', limit: 'prelude.heldBytes', value: LIMITS.heldBytes }, 'client sent too much data before the upstream greeting');
    }
    this.client.push(bytes);
    if (this.state === 'client-plain') this.processClient();
  }

  tlsReady(side: 'client' | 'server'): void {
    if (side === 'server' && this.state === 'upstream-upgrading') this.afterUpstreamReady();
    else if (side === 'client' && this.state === 'client-upgrading') {
      this.finish(Buffer.concat(this.serverHeld), Buffer.alloc(0), false);
    }
  }

  drain(): PreludeOutput[] {
    const out = this.outputs;
    this.outputs = [];
    return out;
  }

  protected requestUpstreamUpgrade(command: string): void {
    this.state = 'upstream-upgrade';
    this.outputs.push({ kind: 'toServer', bytes: Buffer.from(`${command}\r\n`) });
  }

  /** The upstream agreed to TLS: drop anything it sent after the OK (it would be injected plaintext). */
  protected startUpstreamTls(): void {
    this.server.discard();
    this.state = 'upstream-upgrading';
    this.outputs.push({ kind: 'startTls', side: 'server' });
  }

  /** The client asked for TLS: drop what it pipelined after the command (RFC 2595 §4, RFC 9051 §11.1). */
  protected startClientTls(): void {
    this.client.discard();
    this.state = 'client-upgrading';
    this.outputs.push({ kind: 'startTls', side: 'client' });
  }

  protected afterUpstreamReady(): void {
    if (this.options.clientTls === 'starttls') {
      this.state = 'client-plain';
      this.holdServerBytes(this.server.takeRest());
      this.outputs.push({ kind: 'toClient', bytes: this.plainGreeting() });
      this.processClient();
      return;
    }
    this.finish(Buffer.concat([this.forwardableGreeting(), this.server.takeRest()]), this.client.takeRest(), true);
  }

  protected reply(...lines: string[]): void {
    this.outputs.push({ kind: 'toClient', bytes: Buffer.from(lines.map((line) => `${line}\r\n`).join(''), 'latin1') });
  }

  protected closeAfter(bytes: Buffer, reason: string): void {
    this.state = 'done';
    this.outputs.push({ kind: 'toClient', bytes }, { kind: 'close', reason });
  }

  protected fail(reason: string): void {
    this.closeAfter(this.fatalLine(reason), reason);
  }

  private processServer(): void {
    while (this.state === 'greeting' || this.state === 'upstream-upgrade') {
      const line = this.nextLine(this.server, 'server', 'upstream sent an over-long line before the session started');
      if (!line) return;
      if (this.state === 'greeting') this.onGreeting(line);
      else this.onUpstreamUpgradeReply(line);
    }
  }

  private processClient(): void {
    while (this.state === 'client-plain') {
      const line = this.nextLine(this.client, 'client', 'command line too long before TLS was started');
      if (!line) return;
      this.onPlainClientCommand(line.toString('latin1').replace(/\r?\n$/, ''));
    }
  }

  private nextLine(buffer: LineBuffer, side: LimitHit['side'], tooLong: string): Buffer | undefined {
    const taken = buffer.next();
    if (taken.kind === 'line') return taken.line;
    if (taken.kind === 'tooLong') this.limitHit({ side, limit: 'prelude.lineBytes', value: LIMITS.lineBytes }, tooLong);
    return undefined;
  }

  private limitHit(hit: LimitHit, reason: string): void {
    this.outputs.push({ kind: 'protocolError', ...hit });
    this.fail(reason);
  }

  private holdServerBytes(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.serverHeldBytes += bytes.length;
    if (this.serverHeldBytes > LIMITS.heldBytes) {
      return this.limitHit({ side: 'server', limit: 'prelude.heldBytes', value: LIMITS.heldBytes }, 'upstream sent too much data before the client finished TLS');
    }
    this.serverHeld.push(bytes);
  }

  private finish(serverBytes: Buffer, clientBytes: Buffer, greetingPending: boolean): void {
    this.state = 'done';
    this.outputs.push({ kind: 'ready', protocol: this.protocol, serverBytes, clientBytes, greetingPending });
  }
}
