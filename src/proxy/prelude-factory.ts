import { protocolForPort, type ImplicitTlsPorts } from '../config/port-defaults.js';
import type { ProtocolSetting } from '../config/schema.js';
import type { Protocol } from '../protocol/engine.js';
import { ImapPrelude, imapFatalLine } from '../imap/prelude.js';
import { Pop3Prelude, pop3FatalLine } from '../pop3/prelude.js';
import type { Prelude, PreludeOptions, PreludeOutput } from '../protocol/prelude.js';

export function createPrelude(protocol: ProtocolSetting, options: PreludeOptions): Prelude {
  if (protocol === 'imap') return new ImapPrelude(options);
  if (protocol === 'pop3') return new Pop3Prelude(options);
  return new AutoDetectPrelude(options);
}

/** The protocol to speak to the client when something fails before the greeting tells us. */
export function assumedProtocol(protocol: ProtocolSetting, upstreamPort: number, tlsPorts?: ImplicitTlsPorts): Protocol {
  if (protocol !== 'auto') return protocol;
  return protocolForPort(upstreamPort, tlsPorts) ?? 'imap';
}

export function fatalLine(protocol: Protocol, text: string): Buffer {
  return protocol === 'imap' ? imapFatalLine(text) : pop3FatalLine(text);
}

/** Decides IMAP or POP3 from the first bytes of the server greeting ("* " vs "+OK"/"-ERR"), then delegates. */
class AutoDetectPrelude implements Prelude {
  private inner: Prelude | undefined;
  private serverBytes: Buffer[] = [];
  private clientBytes: Buffer[] = [];
  private outputs: PreludeOutput[] = [];

  constructor(private readonly options: PreludeOptions) {}

  fromServer(bytes: Buffer): void {
    if (this.inner) return this.inner.fromServer(bytes);
    this.serverBytes.push(bytes);
    const seen = Buffer.concat(this.serverBytes);
    if (seen.length < 2) return;
    if (seen[0] === 0x2a /* * */) this.delegate(new ImapPrelude(this.options), seen);
    else if (seen[0] === 0x2b /* + */ || seen[0] === 0x2d /* - */) this.delegate(new Pop3Prelude(this.options), seen);
    else {
      const reason = 'upstream greeting is neither IMAP nor POP3';
      this.outputs.push({ kind: 'toClient', bytes: imapFatalLine(reason) }, { kind: 'close', reason });
      this.inner = new ImapPrelude(this.options); // swallows whatever follows
    }
  }

  fromClient(bytes: Buffer): void {
    if (this.inner) this.inner.fromClient(bytes);
    else this.clientBytes.push(bytes);
  }

  tlsReady(side: 'client' | 'server'): void {
    this.inner?.tlsReady(side);
  }

  drain(): PreludeOutput[] {
    const own = this.outputs;
    this.outputs = [];
    return this.inner ? [...own, ...this.inner.drain()] : own;
  }

  private delegate(prelude: Prelude, serverBytes: Buffer): void {
    this.inner = prelude;
    for (const bytes of this.clientBytes) prelude.fromClient(bytes);
    this.clientBytes = [];
    prelude.fromServer(serverBytes);
  }
}
