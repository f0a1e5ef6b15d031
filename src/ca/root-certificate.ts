import type Forge from 'node-forge';
import { forge } from './forge.js';
import { backdatedStart, signWithSha256, utf8NameAttributes } from './forge-fields.js';
import { randomSerialHex } from './serial.js';

export const ROOT_KEY_BITS = 3072;
const ROOT_VALIDITY_YEARS = 10;

function rootSubjectAttributes(hostname: string): Forge.pki.CertificateField[] {
  return utf8NameAttributes([
    { name: 'organizationName', value: 'inboxguard' },
    { name: 'organizationalUnitName', value: hostname },
    { name: 'commonName', value: `inboxguard root CA (${hostname})` },
  ]);
}

/** A self-signed root certificate for the given RSA private key, as PEM. */
export function buildRootCertificatePem(options: { keyPem: string; hostname: string; now: Date }): string {
  const { pki } = forge();
  const privateKey = pki.privateKeyFromPem(options.keyPem);
  const certificate = pki.createCertificate();
  certificate.publicKey = pki.setRsaPublicKey(privateKey.n, privateKey.e);
  certificate.serialNumber = randomSerialHex();
  certificate.validity.notBefore = backdatedStart(options.now);
  const notAfter = new Date(options.now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + ROOT_VALIDITY_YEARS);
  certificate.validity.notAfter = notAfter;

  const subject = rootSubjectAttributes(options.hostname);
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signWithSha256(certificate, privateKey);
  return pki.certificateToPem(certificate);
}
