import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { ListenerConfig } from '../config/schema.js';
import { parseHostPort, type HostPort } from '../config/address.js';
import { UserError } from '../user-error.js';
import { UpstreamLookup } from './upstream-lookup.js';

const CONNECT_TIMEOUT_MS = 20_000;

/** Upstream names resolved in this process, cached for a few seconds (see upstream-lookup.ts). */
export const upstreamLookup = new UpstreamLookup();

/** Why the upstream leg failed, in words a mail client can show. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: 'certificate' | 'connect' | 'tls',
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface UpstreamTarget extends HostPort {
  /**
   * The system store plus the listener's extra CA, built once per listener: building it parses every
   * root certificate, which per connection cost more CPU than the rest of connection setup.
   */
  trust: tls.SecureContext;
  insecureSkipVerify: boolean;
}

export function upstreamTarget(listener: ListenerConfig): UpstreamTarget {
  const extra: Buffer[] = [];
  if (listener.upstreamCa) {
    try {
      extra.push(readFileSync(listener.upstreamCa));
    } catch (error) {
      throw new UserError(`listener ${listener.name}: cannot read upstreamCa ${listener.upstreamCa}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
  }
  const trust = tls.createSecureContext({ ca: [...tls.rootCertificates, ...extra], minVersion: 'TLSv1.2' });
  return { ...parseHostPort(listener.upstream), trust, insecureSkipVerify: listener.insecureSkipVerify };
}

export function connectPlain(target: HostPort): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true, lookup: upstreamLookup.lookup });
    const timer = setTimeout(() => socket.destroy(new UpstreamError(`no answer from ${target.host}:${target.port} within ${CONNECT_TIMEOUT_MS / 1000} s`, 'connect')), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      upstreamLookup.forget(target.host);
      reject(error instanceof UpstreamError ? error : new UpstreamError(connectFailure(target, error), 'connect', error.code));
    };
    socket.once('error', onError);
  });
}

/**
 * The latest TLS session each upstream handed out on a verified connection. The next connection resumes
 * it, as browsers and Node's https agent do: no certificate chain sent and checked again, no signature
 * by the server — a mail client opens and closes connections all the time, and the full handshake was
 * the largest cost of each (for inboxguard and for the server). The identity check still runs on the
 * session's certificate.
 */
const resumable = new WeakMap<UpstreamTarget, Buffer>();

/** Upstream TLS handshakes completed in this process, and how many of them resumed a session (for tests and the log). */
export const upstreamTlsCounters = { handshakes: 0, resumed: 0 };

/** TLS to the upstream, verified against the system store plus the listener's extra CA; over `socket` for STARTTLS. */
export function connectTls(target: UpstreamTarget, socket?: net.Socket): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const isAddress = net.isIP(target.host) !== 0;
    const secure = tls.connect({
      host: target.host,
      port: target.port,
      socket,
      lookup: upstreamLookup.lookup,
      servername: isAddress ? undefined : target.host,
      secureContext: target.trust,
      rejectUnauthorized: !target.insecureSkipVerify,
      session: resumable.get(target),
    });
    secure.on('session', (session: Buffer) => {
      if (secure.authorized || target.insecureSkipVerify) resumable.set(target, session);
    });
    const timer = setTimeout(() => secure.destroy(new UpstreamError(`TLS handshake with ${target.host}:${target.port} did not finish within ${CONNECT_TIMEOUT_MS / 1000} s`, 'tls')), CONNECT_TIMEOUT_MS);
    secure.setNoDelay(true);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      upstreamTlsCounters.handshakes++;
      if (secure.isSessionReused()) upstreamTlsCounters.resumed++;
      secure.removeListener('error', onError);
      resolve(secure);
    });
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      secure.destroy();
      if (!socket) upstreamLookup.forget(target.host);
      if (error instanceof UpstreamError) return reject(error);
      if (isCertificateError(error)) {
        return reject(new UpstreamError(`upstream certificate for ${target.host} not trusted: ${error.message}`, 'certificate', error.code));
      }
      reject(new UpstreamError(socket ? `TLS with ${target.host} failed: ${error.message}` : connectFailure(target, error), error.code?.startsWith('E') ? 'connect' : 'tls', error.code));
    };
    secure.once('error', onError);
  });
}

function isCertificateError(error: NodeJS.ErrnoException): boolean {
  return /CERT|SIGNATURE|ALTNAME|SELF_SIGNED|ISSUER|VERIFY/.test(error.code ?? '');
}

function connectFailure(target: HostPort, error: NodeJS.ErrnoException): string {
  const where = `${target.host}:${target.port}`;
  switch (error.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve upstream host ${target.host}`;
    case 'ECONNREFUSED':
      return `upstream ${where} refused the connection`;
    case 'ETIMEDOUT':
      return `upstream ${where} did not answer`;
    default:
      return `cannot connect to upstream ${where}: ${error.message}`;
  }
}
