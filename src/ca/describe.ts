import type { LoadedCa } from './loaded-ca.js';

export interface CaDescription {
  /** e.g. "O=inboxguard, OU=myhost, CN=inboxguard root CA (myhost)" */
  subject: string;
  /** Colon-separated uppercase hex, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprintSha256: string;
  notBefore: Date;
  notAfter: Date;
  certPath: string;
  keyPath: string;
}

export function describeCa(ca: LoadedCa): CaDescription {
  return {
    subject: ca.x509.subject.split('\n').join(', '),
    fingerprintSha256: ca.x509.fingerprint256,
    notBefore: new Date(ca.x509.validFrom),
    notAfter: new Date(ca.x509.validTo),
    certPath: ca.certPath,
    keyPath: ca.keyPath,
  };
}

export type CaExportFormat = 'pem' | 'der';

/** The root certificate (never the key), for installing into trust stores. */
export function exportCa(ca: LoadedCa, format: CaExportFormat): Buffer {
  return format === 'der' ? Buffer.from(ca.x509.raw) : Buffer.from(ca.certPem, 'utf8');
}
