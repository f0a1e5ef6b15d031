import type Forge from 'node-forge';
import { forge } from './forge.js';

export interface NameAttribute {
  name: 'commonName' | 'organizationName' | 'organizationalUnitName';
  value: string;
}

// The longest value X.509 allows for CN, O and OU (ub-common-name etc. in RFC 5280).
const MAX_NAME_VALUE_LENGTH = 64;

/**
 * Subject attributes encoded as UTF8String. forge defaults to PrintableString, which cannot
 * hold characters such as '_' that host names may contain.
 */
export function utf8NameAttributes(attributes: NameAttribute[]): Forge.pki.CertificateField[] {
  return attributes.map(({ name, value }) => ({
    name,
    value: value.slice(0, MAX_NAME_VALUE_LENGTH),
    // @types/node-forge types valueTagClass as asn1.Class, but forge reads an asn1.Type here.
    valueTagClass: forge().asn1.Type.UTF8 as unknown as Forge.asn1.Class,
  }));
}

export function signWithSha256(certificate: Forge.pki.Certificate, key: Forge.pki.rsa.PrivateKey): void {
  certificate.sign(key, forge().md.sha256.create());
}

const HOUR_MS = 60 * 60 * 1000;

/** Validity starts an hour back so clients with a slightly slow clock accept a fresh certificate. */
export function backdatedStart(now: Date): Date {
  return new Date(now.getTime() - HOUR_MS);
}
