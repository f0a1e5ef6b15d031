import type { ProtocolSetting, TlsMode } from './schema.js';

export interface PortDefaults {
  protocol: ProtocolSetting;
  upstreamTls: TlsMode;
  /** What the client side offers by default: TLS in the same style as the upstream. */
  tls: TlsMode;
  /** Local port suggested when the user gives none. */
  listenPort: number;
}

const wellKnown: Record<number, PortDefaults> = {
  993: { protocol: 'imap', upstreamTls: 'implicit', tls: 'implicit', listenPort: 10993 },
  585: { protocol: 'imap', upstreamTls: 'implicit', tls: 'implicit', listenPort: 10585 },
  143: { protocol: 'imap', upstreamTls: 'starttls', tls: 'starttls', listenPort: 10143 },
  995: { protocol: 'pop3', upstreamTls: 'implicit', tls: 'implicit', listenPort: 10995 },
  110: { protocol: 'pop3', upstreamTls: 'starttls', tls: 'starttls', listenPort: 10110 },
};

/** Sensible listener settings derived from the upstream port (993 → IMAP over TLS, and so on). */
export function defaultsForUpstreamPort(port: number): PortDefaults {
  return wellKnown[port] ?? { protocol: 'auto', upstreamTls: 'implicit', tls: 'implicit', listenPort: 10000 + (port % 10000) };
}
