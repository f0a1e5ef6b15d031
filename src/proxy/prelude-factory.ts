import { protocolForPort, type ImplicitTlsPorts } from '../config/port-defaults.js';
import type { ProtocolSetting } from '../config/schema.js';
import type { Protocol } from '../protocol/engine.js';
import { ImapPrelude, imapFatalLine } from '../imap/prelude.js';
import { Pop3Prelude, pop3FatalLine } from '../pop3/prelude.js';
import { AutoDetectPrelude, type ProtocolPreludes } from '../protocol/auto-detect-prelude.js';
import type { Prelude, PreludeOptions } from '../protocol/prelude.js';

export function fatalLine(protocol: Protocol, text: string): Buffer {
  return protocol === 'imap' ? imapFatalLine(text) : pop3FatalLine(text);
}

const preludes: ProtocolPreludes = {
  create: (protocol, options) => (protocol === 'imap' ? new ImapPrelude(options) : new Pop3Prelude(options)),
  fatalLine,
};

export function createPrelude(protocol: ProtocolSetting, options: PreludeOptions): Prelude {
  if (protocol === 'auto') return new AutoDetectPrelude(options, preludes);
  return preludes.create(protocol, options);
}

/** The protocol to speak to the client when something fails before the greeting tells us. */
export function assumedProtocol(protocol: ProtocolSetting, upstreamPort: number, tlsPorts?: ImplicitTlsPorts): Protocol {
  if (protocol !== 'auto') return protocol;
  return protocolForPort(upstreamPort, tlsPorts) ?? 'imap';
}
