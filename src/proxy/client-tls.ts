import type net from 'node:net';
import tls from 'node:tls';

const HANDSHAKE_TIMEOUT_MS = 30_000;

/** Gives the SecureContext presenting a leaf certificate for a host name or IP address. */
export interface CertificateSource {
  secureContextFor(name: string): tls.SecureContext;
}

/** The address a client connected to, as a name for the certificate when it sent no SNI. */
function localName(socket: net.Socket): string {
  const address = socket.localAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** Terminates TLS from a mail client on `socket` (implicit TLS or after STARTTLS/STLS). */
export function acceptClientTls(socket: net.Socket, certificates: CertificateSource): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const fallbackName = localName(socket);
    const secure = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: certificates.secureContextFor(fallbackName),
      SNICallback: (name, callback) => {
        try {
          callback(null, certificates.secureContextFor(name));
        } catch {
          callback(null, certificates.secureContextFor(fallbackName)); // a name we cannot mint for: the client will verify and decide
        }
      },
    });
    const timer = setTimeout(() => secure.destroy(new Error(`TLS handshake not finished within ${HANDSHAKE_TIMEOUT_MS / 1000} s`)), HANDSHAKE_TIMEOUT_MS);
    const onError = (error: Error): void => {
      clearTimeout(timer);
      secure.destroy();
      reject(error);
    };
    secure.once('error', onError);
    secure.once('secure', () => {
      clearTimeout(timer);
      secure.removeListener('error', onError);
      secure.setNoDelay(true);
      resolve(secure);
    });
  });
}
