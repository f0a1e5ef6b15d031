// The self-test's throwaway PKI, in a temporary directory: a root that signs both the test upstream's
// certificate and the self-test proxy's client-side certificates. The proxy trusts it for its upstream
// through the listener's upstreamCa (given to that proxy instance only); the self-test clients trust it
// for the proxy. The user's CA and trust stores are never touched.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeafIssuer, type LeafPem } from '../../ca/leaf.js';
import { parseCa } from '../../ca/loaded-ca.js';
import { buildRootCertificatePem } from '../../ca/root-certificate.js';
import { generateRsaPrivateKeyPem } from '../../ca/rsa-keys.js';

export interface SelfTestPki {
  /** Temporary directory for everything the self-test writes (certificates, its proxy's data dir). */
  dir: string;
  caPem: string;
  caPath: string;
  certificates: LeafIssuer;
  /** What the test upstream presents: a certificate for 127.0.0.1, where the proxy connects. */
  upstreamCertificate: LeafPem;
  remove(): void;
}

const KEY_BITS = 2048;

export async function createSelfTestPki(): Promise<SelfTestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-doctor-'));
  try {
    const keyPem = await generateRsaPrivateKeyPem(KEY_BITS);
    const certPem = buildRootCertificatePem({ keyPem, hostname: 'doctor self-test', now: new Date() });
    const caPath = join(dir, 'self-test-ca.pem');
    writeFileSync(caPath, certPem, { mode: 0o644 });
    const ca = parseCa({ certPem, keyPem, certPath: caPath, keyPath: '(in memory)' });
    const certificates = new LeafIssuer(ca, dir);
    return {
      dir,
      caPem: certPem,
      caPath,
      certificates,
      upstreamCertificate: certificates.leafPemFor('127.0.0.1'),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
