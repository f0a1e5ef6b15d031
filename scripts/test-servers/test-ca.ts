// Throwaway test PKI for integration tests and benchmarks: a test CA plus a server certificate
// for localhost / 127.0.0.1, and broken variants for negative tests. Keys come from Node's native
// RSA generator (forge's pure-JS keygen takes seconds); forge only builds and signs certificates.
import { generateKeyPair, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

export type CertKind = 'valid' | 'expired' | 'wrong-host' | 'untrusted';
export const CERT_KINDS: readonly CertKind[] = ['valid', 'expired', 'wrong-host', 'untrusted'];

export interface TestPki {
  kind: CertKind;
  /** The test CA that tests trust. For 'untrusted' it did NOT sign the server certificate. */
  caPath: string;
  caKeyPath: string;
  caPem: string;
  /** Server certificate (leaf only) and its key, as Dovecot's ssl_cert / ssl_key want them. */
  certPath: string;
  keyPath: string;
  /** 'untrusted' only: the second CA that signed the server certificate (tests must not trust it). */
  untrustedCaPath?: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);
const DAY_MS = 24 * 60 * 60 * 1000;

interface KeyPair {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  privatePem: string;
}

// RSA-2048 generation takes 100-600 ms (random prime search), so within one process each role
// reuses one key pair; every call still issues fresh certificates (new serials, a CA name with a
// random suffix, so CAs of different calls never vouch for each other's certificates). Nothing
// is cached across processes. The untrusted CA always has a different key from the trusted one.
type KeyRole = 'ca' | 'server' | 'untrusted-ca';
const keyPool = new Map<KeyRole, Promise<KeyPair>>();

function keyFor(role: KeyRole): Promise<KeyPair> {
  let pending = keyPool.get(role);
  if (!pending) {
    pending = newKeyPair();
    pending.catch(() => keyPool.delete(role));
    keyPool.set(role, pending);
  }
  return pending;
}

async function newKeyPair(): Promise<KeyPair> {
  const { privateKey: privatePem } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const privateKey = forge.pki.privateKeyFromPem(privatePem);
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  return { privateKey, publicKey, privatePem };
}

function randomSerial(): string {
  // 16 random bytes; a first byte in 0x40..0x7f keeps the DER INTEGER positive and 16 bytes long.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x3f) | 0x40;
  return bytes.toString('hex');
}

interface Validity {
  notBefore: Date;
  notAfter: Date;
}

function validityFromNow(): Validity {
  const now = Date.now();
  return { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + 3650 * DAY_MS) };
}

function makeCa(keys: KeyPair, commonName: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  const { notBefore, notAfter } = validityFromNow();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const name = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'inboxguard tests' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return cert;
}

interface LeafSpec {
  commonName: string;
  altNames: Array<{ type: 2; value: string } | { type: 7; ip: string }>;
  validity: Validity;
}

function makeLeaf(keys: KeyPair, ca: forge.pki.Certificate, caKeys: KeyPair, spec: LeafSpec): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = spec.validity.notBefore;
  cert.validity.notAfter = spec.validity.notAfter;
  cert.setSubject([{ name: 'commonName', value: spec.commonName }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: spec.altNames },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());
  return cert;
}

function leafSpec(kind: CertKind): LeafSpec {
  const localhost: LeafSpec['altNames'] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    // Second loopback upstreams for the exclusion tests (Dovecot can listen on these too).
    { type: 7, ip: '127.0.0.2' },
    { type: 7, ip: '::1' },
  ];
  switch (kind) {
    case 'valid':
    case 'untrusted':
      return { commonName: 'localhost', altNames: localhost, validity: validityFromNow() };
    case 'expired': {
      const now = Date.now();
      return {
        commonName: 'localhost',
        altNames: localhost,
        validity: { notBefore: new Date(now - 30 * DAY_MS), notAfter: new Date(now - DAY_MS) },
      };
    }
    case 'wrong-host':
      return { commonName: 'wrong.example', altNames: [{ type: 2, value: 'wrong.example' }], validity: validityFromNow() };
  }
}

/**
 * Writes ca.pem, ca.key, server.pem, server.key (and for 'untrusted' also untrusted-ca.pem)
 * into dir (created if missing). Fresh certificates every call; keys are reused within the process.
 */
export async function makeTestPki(dir: string, kind: CertKind = 'valid'): Promise<TestPki> {
  if (!CERT_KINDS.includes(kind)) throw new Error(`makeTestPki: unknown certificate kind '${String(kind)}'`);
  mkdirSync(dir, { recursive: true });
  const needsSecondCa = kind === 'untrusted';
  const [caKeys, serverKeys, otherCaKeys] = await Promise.all([
    keyFor('ca'),
    keyFor('server'),
    needsSecondCa ? keyFor('untrusted-ca') : Promise.resolve(undefined),
  ]);
  const suffix = randomBytes(4).toString('hex');
  const ca = makeCa(caKeys, `inboxguard test CA ${suffix}`);
  const otherCa = otherCaKeys ? makeCa(otherCaKeys, `inboxguard UNTRUSTED test CA ${suffix}`) : undefined;
  const signer = otherCa && otherCaKeys ? { cert: otherCa, keys: otherCaKeys } : { cert: ca, keys: caKeys };
  const leaf = makeLeaf(serverKeys, signer.cert, signer.keys, leafSpec(kind));

  const caPem = forge.pki.certificateToPem(ca);
  const paths: TestPki = {
    kind,
    caPath: join(dir, 'ca.pem'),
    caKeyPath: join(dir, 'ca.key'),
    caPem,
    certPath: join(dir, 'server.pem'),
    keyPath: join(dir, 'server.key'),
  };
  writeFileSync(paths.caPath, caPem);
  writeFileSync(paths.caKeyPath, caKeys.privatePem, { mode: 0o600 });
  writeFileSync(paths.certPath, forge.pki.certificateToPem(leaf));
  writeFileSync(paths.keyPath, serverKeys.privatePem, { mode: 0o600 });
  if (otherCa) {
    paths.untrustedCaPath = join(dir, 'untrusted-ca.pem');
    writeFileSync(paths.untrustedCaPath, forge.pki.certificateToPem(otherCa));
  }
  return paths;
}
