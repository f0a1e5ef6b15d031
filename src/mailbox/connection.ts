// The IMAP connection of a mailbox scan: imapflow, with the server certificate verified against the
// system store plus an optional extra CA (as the proxy verifies its upstreams), PLAIN/LOGIN with a
// password or XOAUTH2/OAUTHBEARER with an access token. imapflow's own logging stays off: it would
// write protocol lines, and no secret may reach a log.
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { ImapFlow } from 'imapflow';
import type { TlsMode } from '../types/tls-mode.js';
import { UserError } from '../user-error.js';

export interface ImapConnectionSettings {
  host: string;
  port: number;
  tls: TlsMode;
  /** PEM of an extra CA trusted besides the system store (--upstream-ca). */
  extraCa?: Buffer;
  user: string;
  secret: { password: string } | { accessToken: string };
}

const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

export function describeServer(settings: Pick<ImapConnectionSettings, 'host' | 'port'>): string {
  return isIP(settings.host) === 6 ? `[${settings.host}]:${settings.port}` : `${settings.host}:${settings.port}`;
}

/** Connected and logged in; every failure is one UserError line saying what to mend. */
export async function openImapConnection(settings: ImapConnectionSettings): Promise<ImapFlow> {
  const server = describeServer(settings);
  if (settings.tls === 'none' && !LOOPBACK.test(settings.host)) {
    throw new UserError(`${server}: refusing to send a password without TLS to a server that is not on this machine; use an implicit TLS or STARTTLS port`);
  }
  const servername = isIP(settings.host) === 0 ? settings.host : undefined;
  const client = new ImapFlow({
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'implicit',
    doSTARTTLS: settings.tls === 'starttls' ? true : settings.tls === 'none' ? false : undefined,
    servername,
    tls: { rejectUnauthorized: true, ca: [...rootCertificates, ...(settings.extraCa ? [settings.extraCa.toString('utf8')] : [])], servername, minVersion: 'TLSv1.2' },
    auth: 'password' in settings.secret ? { user: settings.user, pass: settings.secret.password } : { user: settings.user, accessToken: settings.secret.accessToken },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
  });
  // Without a listener a dropped connection would end the process; the next command reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw connectionFailure(error as Error & { code?: string; authenticationFailed?: boolean; responseText?: string }, settings, server);
  }
  return client;
}

function connectionFailure(error: Error & { code?: string; authenticationFailed?: boolean; responseText?: string }, settings: ImapConnectionSettings, server: string): UserError {
  if (error.authenticationFailed) {
    const how = 'password' in settings.secret ? 'the password' : 'the access token';
    return new UserError(`${server}: the server refused the login of "${settings.user}"${error.responseText ? ` (${error.responseText})` : ''}; check the user name and ${how}`);
  }
  if (error.code && CERTIFICATE_CODES.has(error.code)) {
    return new UserError(`${server}: the server certificate is not trusted (${error.code}); give its CA with --upstream-ca FILE if it is a private one`);
  }
  if (error.code === 'ECONNREFUSED') return new UserError(`${server}: connection refused; check --upstream HOST:PORT`);
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return new UserError(`${server}: the host name does not resolve`);
  return new UserError(`${server}: could not connect and log in: ${error.message}${error.code ? ` (${error.code})` : ''}`);
}
