import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { CaError } from './ca-error.js';

export interface LoadedCa {
  certPem: string;
  keyPem: string;
  /** Node's view of the certificate: fingerprints, validity, checkIssued/verify for leaves. */
  x509: X509Certificate;
  /** forge's view of the certificate and key, used to sign leaves. */
  certificate: forge.pki.Certificate;
  privateKey: forge.pki.rsa.PrivateKey;
  certPath: string;
  keyPath: string;
}

const REMEDY = 'restore the file, or re-create the CA with --force';

/** Parses and cross-checks a root CA certificate and key; any problem is a CaError naming the file. */
export function parseCa(files: { certPem: string; keyPem: string; certPath: string; keyPath: string }): LoadedCa {
  const { certPem, keyPem, certPath, keyPath } = files;
  const x509 = attempt(() => new X509Certificate(certPem), `${certPath} is not a valid PEM certificate`);
  const nativeKey: KeyObject = attempt(() => createPrivateKey(keyPem), `${keyPath} is not a valid PEM private key`);
  if (nativeKey.asymmetricKeyType !== 'rsa') {
    throw new CaError(`${keyPath} holds a ${nativeKey.asymmetricKeyType} key; the CA key must be RSA (${REMEDY})`);
  }
  if (!x509.ca) throw new CaError(`${certPath} is not a CA certificate (${REMEDY})`);
  if (!x509.checkPrivateKey(nativeKey)) {
    throw new CaError(`${keyPath} does not belong to the certificate in ${certPath} (${REMEDY})`);
  }
  const certificate = attempt(() => forge.pki.certificateFromPem(certPem), `${certPath} cannot be read`);
  const privateKey = attempt(() => forge.pki.privateKeyFromPem(keyPem), `${keyPath} cannot be read`);
  return { certPem, keyPem, x509, certificate, privateKey, certPath, keyPath };
}

function attempt<T>(parse: () => T, problem: string): T {
  try {
    return parse();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CaError(`${problem}: ${reason} (${REMEDY})`);
  }
}
