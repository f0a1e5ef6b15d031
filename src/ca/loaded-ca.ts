import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type Forge from 'node-forge';
import { CaError } from './ca-error.js';
import { forge } from './forge.js';

export interface LoadedCa {
  certPem: string;
  keyPem: string;
  /** Node's view of the certificate: fingerprints, validity, checkIssued/verify for leaves. */
  x509: X509Certificate;
  /** forge's view of the certificate and key, used to sign leaves; parsed (and forge loaded) on first use. */
  readonly certificate: Forge.pki.Certificate;
  readonly privateKey: Forge.pki.rsa.PrivateKey;
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
  // Node has checked both files above; forge reads them again only when a leaf must be signed.
  let certificate: Forge.pki.Certificate | undefined;
  let privateKey: Forge.pki.rsa.PrivateKey | undefined;
  return {
    certPem,
    keyPem,
    x509,
    certPath,
    keyPath,
    get certificate() {
      certificate ??= attempt(() => forge().pki.certificateFromPem(certPem), `${certPath} cannot be read`);
      return certificate;
    },
    get privateKey() {
      privateKey ??= attempt(() => forge().pki.privateKeyFromPem(keyPem), `${keyPath} cannot be read`);
      return privateKey;
    },
  };
}

function attempt<T>(parse: () => T, problem: string): T {
  try {
    return parse();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CaError(`${problem}: ${reason} (${REMEDY})`);
  }
}
