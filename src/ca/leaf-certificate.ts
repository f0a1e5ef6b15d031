import type Forge from 'node-forge';
import { forge } from './forge.js';
import { backdatedStart, signWithSha256, utf8NameAttributes } from './forge-fields.js';
import type { LoadedCa } from './loaded-ca.js';
import { randomSerialHex } from './serial.js';
import type { ServerName } from './server-name.js';

// Clients reject server certificates valid for more than 397 days (Apple, Chrome); a day of margin.
const LEAF_VALIDITY_DAYS = 396;
const DAY_MS = 24 * 60 * 60 * 1000;

// GeneralName tags in subjectAltName (RFC 5280 4.2.1.6).
const DNS_NAME = 2;
const IP_ADDRESS = 7;

/** A server certificate for one name, signed by the root CA, as PEM. */
export function buildLeafCertificatePem(options: {
  ca: LoadedCa;
  leafPublicKey: Forge.pki.rsa.PublicKey;
  name: ServerName;
  now: Date;
}): string {
  const { ca, name } = options;
  const { pki } = forge();
  const certificate = pki.createCertificate();
  certificate.publicKey = options.leafPublicKey;
  certificate.serialNumber = randomSerialHex();
  const notBefore = backdatedStart(options.now);
  certificate.validity.notBefore = notBefore;
  certificate.validity.notAfter = new Date(notBefore.getTime() + LEAF_VALIDITY_DAYS * DAY_MS);

  certificate.setSubject(utf8NameAttributes([{ name: 'commonName', value: name.value }]));
  certificate.setIssuer(ca.certificate.subject.attributes);
  const altName = name.kind === 'dns' ? { type: DNS_NAME, value: name.value } : { type: IP_ADDRESS, ip: name.value };
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [altName] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: rootKeyIdentifier(ca.certificate) },
  ]);
  signWithSha256(certificate, ca.privateKey);
  return pki.certificateToPem(certificate);
}

/** The root's subjectKeyIdentifier as a forge byte string, computed the usual way if absent. */
function rootKeyIdentifier(root: Forge.pki.Certificate): string {
  const extension = root.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  if (extension?.subjectKeyIdentifier) return forge().util.hexToBytes(extension.subjectKeyIdentifier);
  return root.generateSubjectKeyIdentifier().getBytes();
}
