import type { AddressInfo } from 'node:net';
import type { CaDescription } from '../ca/index.js';
import type { ListenerConfig } from '../config/schema.js';

const SECURITY: Record<ListenerConfig['tls'], string> = { implicit: 'SSL/TLS', starttls: 'STARTTLS', none: 'None' };

/** What to enter in a mail client for one listener. */
export function describeListenerForClient(listener: ListenerConfig, address: AddressInfo): string {
  const protocol = listener.protocol === 'auto' ? 'IMAP or POP3' : listener.protocol.toUpperCase();
  const server = address.address === '::' || address.address === '0.0.0.0' ? 'this machine’s address' : address.address;
  const upstream = `${listener.upstream} (${listener.upstreamTls === 'none' ? 'plaintext' : `${listener.upstreamTls === 'implicit' ? 'TLS' : 'STARTTLS'}, certificate verified`})`;
  return `  ${listener.name}: ${protocol} server ${server}, port ${address.port}, connection security ${SECURITY[listener.tls]}  →  ${upstream}`;
}

export function describeCaForClient(ca: CaDescription): string {
  return [
    `Mail clients must trust the inboxguard root CA once: ${ca.certPath}`,
    `  (SHA-256 ${ca.fingerprintSha256}; Thunderbird: Settings → Privacy & Security → Certificates → Manage Certificates → Authorities → Import)`,
  ].join('\n');
}
