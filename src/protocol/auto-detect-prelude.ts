import type { Protocol } from './engine.js';
import type { Prelude, PreludeOptions, PreludeOutput } from './prelude.js';

/** The two protocols' preludes and their fatal line, given by the layer that knows them (proxy/prelude-factory.ts). */
export interface ProtocolPreludes {
  create(protocol: Protocol, options: PreludeOptions): Prelude;
  fatalLine(protocol: Protocol, text: string): Buffer;
}

/** Decides IMAP or POP3 from the first bytes of the server greeting ("* " vs "+OK"/"-ERR"), then delegates. */
export class AutoDetectPrelude implements Prelude {
  private inner: Prelude | undefined;
  private serverBytes: Buffer[] = [];
  private clientBytes: Buffer[] = [];
  private outputs: PreludeOutput[] = [];

  constructor(
    private readonly options: PreludeOptions,
    private readonly preludes: ProtocolPreludes,
  ) {}

  fromServer(bytes: Buffer): void {
    if (this.inner) return this.inner.fromServer(bytes);
    this.serverBytes.push(bytes);
    const seen = Buffer.concat(this.serverBytes);
    if (seen.length < 2) return;
    if (seen[0] === 0x2a /* * */) this.delegate('imap', seen);
    else if (seen[0] === 0x2b /* + */ || seen[0] === 0x2d /* - */) this.delegate('pop3', seen);
    else {
      const reason = 'upstream greeting is neither IMAP nor POP3';
      this.outputs.push({ kind: 'toClient', bytes: this.preludes.fatalLine('imap', reason) }, { kind: 'close', reason });
      this.inner = this.preludes.create('imap', this.options); // swallows whatever follows
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

  private delegate(protocol: Protocol, serverBytes: Buffer): void {
    const prelude = this.preludes.create(protocol, this.options);
    this.inner = prelude;
    for (const bytes of this.clientBytes) prelude.fromClient(bytes);
    this.clientBytes = [];
    prelude.fromServer(serverBytes);
  }
}
