import type { TlsMode } from '../types/tls-mode.js';
import { DEFAULT_TLS_PORTS, type ProtocolSetting } from './schema.js';

export interface PortDefaults {
  protocol: ProtocolSetting;
  upstreamTls: TlsMode;
  /** What the client side offers by default: TLS in the same style as the upstream. */
  tls: TlsMode;
  /** Local port suggested when the user gives none. */
  listenPort: number;
}

/** The `tlsPorts` setting: ports taken as implicit-TLS IMAP and POP3. */
export interface ImplicitTlsPorts {
  readonly imaps: readonly number[];
  readonly pop3s: readonly number[];
}

const STARTTLS_PORTS: Readonly<Record<number, 'imap' | 'pop3'>> = { 143: 'imap', 110: 'pop3' };

function implicitTlsProtocol(port: number, tlsPorts: ImplicitTlsPorts): 'imap' | 'pop3' | undefined {
  if (tlsPorts.imaps.includes(port)) return 'imap';
  if (tlsPorts.pop3s.includes(port)) return 'pop3';
  return undefined;
}

/** The protocol implied by a destination port: the implicit-TLS ports of `tlsPorts`, then 143 (IMAP) and 110 (POP3). */
export function protocolForPort(port: number, tlsPorts: ImplicitTlsPorts = DEFAULT_TLS_PORTS): 'imap' | 'pop3' | undefined {
  return implicitTlsProtocol(port, tlsPorts) ?? STARTTLS_PORTS[port];
}

/** Sensible listener settings derived from the upstream port (993 → IMAP over TLS, and so on). */
export function defaultsForUpstreamPort(port: number, tlsPorts: ImplicitTlsPorts = DEFAULT_TLS_PORTS): PortDefaults {
  const listenPort = 10000 + (port % 10000);
  const implicit = implicitTlsProtocol(port, tlsPorts);
  if (implicit) return { protocol: implicit, upstreamTls: 'implicit', tls: 'implicit', listenPort };
  const starttls = STARTTLS_PORTS[port];
  if (starttls) return { protocol: starttls, upstreamTls: 'starttls', tls: 'starttls', listenPort };
  return { protocol: 'auto', upstreamTls: 'implicit', tls: 'implicit', listenPort };
}
