import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { CaError } from '../../../src/ca/ca-error.js';
import { describeCa, exportCa } from '../../../src/ca/describe.js';
import type { LoadedCa } from '../../../src/ca/loaded-ca.js';
import { caPaths } from '../../../src/ca/paths.js';
import { initCa, loadCa } from '../../../src/ca/root.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

const posix = process.platform !== 'win32';
const YEAR_MS = 365.25 * 24 * 60 * 60 * 1000;

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

/** A data dir holding the given CA files, with the key at 0600. */
function dataDirWith(files: { certPem?: string; keyPem?: string }): string {
  const dir = makeTempDir();
  const paths = caPaths(dir);
  mkdirSync(paths.certsDir, { mode: 0o700 });
  if (files.certPem !== undefined) writeFileSync(paths.caCert, files.certPem);
  if (files.keyPem !== undefined) writeFileSync(paths.caKey, files.keyPem, { mode: 0o600 });
  return dir;
}

describe('initCa and loadCa', () => {
  const dirs: string[] = [];
  let dataDir: string;
  let ca: LoadedCa;

  before(async () => {
    dataDir = makeTempDir();
    dirs.push(dataDir);
    const result = await initCa(dataDir, {});
    assert.equal(result.created, true);
    ca = result.ca;
  });

  after(() => dirs.forEach(removeTempDir));

  function scratchDir(files: { certPem?: string; keyPem?: string }): string {
    const dir = dataDirWith(files);
    dirs.push(dir);
    return dir;
  }

  it('writes ca.pem and ca.key into <dataDir>/certs', () => {
    const paths = caPaths(dataDir);
    assert.equal(ca.certPath, paths.caCert);
    assert.equal(ca.keyPath, paths.caKey);
    assert.equal(readFileSync(paths.caCert, 'utf8'), ca.certPem);
    assert.equal(readFileSync(paths.caKey, 'utf8'), ca.keyPem);
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----/);
  });

  it('makes the key 0600 and the certs directory 0700', { skip: !posix }, () => {
    const paths = caPaths(dataDir);
    assert.equal(modeOf(paths.caKey), 0o600);
    assert.equal(modeOf(paths.certsDir), 0o700);
  });

  it('leaves an existing CA untouched', async () => {
    const paths = caPaths(dataDir);
    const certBefore = readFileSync(paths.caCert);
    const keyBefore = readFileSync(paths.caKey);
    const again = await initCa(dataDir, {});
    assert.equal(again.created, false);
    assert.deepEqual(readFileSync(paths.caCert), certBefore);
    assert.deepEqual(readFileSync(paths.caKey), keyBefore);
    assert.equal(again.ca.x509.fingerprint256, ca.x509.fingerprint256);
  });

  it('makes a root CA certificate with critical CA constraints and key usage', () => {
    const certificate = forge.pki.certificateFromPem(ca.certPem);
    const basicConstraints = certificate.getExtension('basicConstraints') as { cA?: boolean; critical?: boolean };
    assert.equal(basicConstraints.cA, true);
    assert.equal(basicConstraints.critical, true);
    const keyUsage = certificate.getExtension('keyUsage') as Record<string, boolean | undefined>;
    assert.equal(keyUsage.critical, true);
    assert.equal(keyUsage.keyCertSign, true);
    assert.equal(keyUsage.cRLSign, true);
    assert.equal(keyUsage.digitalSignature, false);
    assert.ok(certificate.getExtension('subjectKeyIdentifier'));
    assert.equal(ca.x509.ca, true);
    assert.equal(ca.x509.checkIssued(ca.x509), true);
    assert.equal(ca.x509.verify(ca.x509.publicKey), true);
    assert.equal(certificate.siginfo.algorithmOid, forge.pki.oids.sha256WithRSAEncryption);
  });

  it('uses an RSA key of at least 3072 bits', () => {
    assert.equal(ca.x509.publicKey.asymmetricKeyType, 'rsa');
    assert.ok((ca.x509.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) >= 3072);
  });

  it('is valid for about ten years, starting a little in the past', () => {
    const notBefore = new Date(ca.x509.validFrom).getTime();
    const notAfter = new Date(ca.x509.validTo).getTime();
    const now = Date.now();
    assert.ok(notBefore < now - 30 * 60 * 1000, 'starts at least half an hour back');
    assert.ok(notBefore > now - 3 * 60 * 60 * 1000, 'starts at most a few hours back');
    assert.ok(Math.abs((notAfter - now) / YEAR_MS - 10) < 0.01, 'ends ten years from now');
  });

  it('has a positive 128-bit random serial', () => {
    assert.match(ca.x509.serialNumber, /^[0-9A-F]{32}$/);
    assert.ok(parseInt(ca.x509.serialNumber.slice(0, 2), 16) < 0x80);
  });

  it('names inboxguard and the host in the subject', () => {
    const subject = ca.x509.subject;
    assert.match(subject, /O=inboxguard/);
    assert.ok(subject.includes(`CN=inboxguard root CA (${hostname().slice(0, 43)}`), subject);
    assert.equal(ca.x509.issuer, subject);
  });

  it('describes the CA', () => {
    const description = describeCa(ca);
    const digest = createHash('sha256').update(ca.x509.raw).digest('hex').toUpperCase();
    assert.equal(description.fingerprintSha256, digest.match(/../g)?.join(':'));
    assert.match(description.subject, /^O=inboxguard, OU=.+, CN=inboxguard root CA \(.+\)$/);
    assert.equal(description.notBefore.getTime(), new Date(ca.x509.validFrom).getTime());
    assert.equal(description.notAfter.getTime(), new Date(ca.x509.validTo).getTime());
    assert.equal(description.certPath, ca.certPath);
    assert.equal(description.keyPath, ca.keyPath);
  });

  it('exports the certificate as PEM or DER, never the key', () => {
    assert.equal(exportCa(ca, 'pem').toString('utf8'), ca.certPem);
    assert.deepEqual(exportCa(ca, 'der'), Buffer.from(ca.x509.raw));
    assert.ok(!exportCa(ca, 'pem').toString('utf8').includes('PRIVATE KEY'));
  });

  it('loadCa returns null when there is no CA', () => {
    assert.equal(loadCa(scratchDir({})), null);
  });

  it('loadCa names a corrupt certificate', () => {
    const dir = scratchDir({ certPem: 'not a certificate\n', keyPem: ca.keyPem });
    assert.throws(
      () => loadCa(dir),
      (error: unknown) =>
        error instanceof CaError &&
        error.message.includes(caPaths(dir).caCert) &&
        /not a valid PEM certificate/.test(error.message),
    );
  });

  it('loadCa names a corrupt key', () => {
    const dir = scratchDir({ certPem: ca.certPem, keyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' });
    assert.throws(
      () => loadCa(dir),
      (error: unknown) => error instanceof CaError && error.message.includes(caPaths(dir).caKey),
    );
  });

  it('loadCa reports a missing half', () => {
    const dir = scratchDir({ certPem: ca.certPem });
    assert.throws(() => loadCa(dir), /ca\.key is missing/);
  });

  it('loadCa refuses a key that others can read and says to chmod 600', { skip: !posix }, () => {
    const dir = scratchDir({ certPem: ca.certPem, keyPem: ca.keyPem });
    const keyPath = caPaths(dir).caKey;
    chmodSync(keyPath, 0o644);
    assert.throws(
      () => loadCa(dir),
      (error: unknown) => error instanceof CaError && error.message.includes(`chmod 600 ${keyPath}`),
    );
  });

  it('initCa without force does not replace a damaged CA', async () => {
    const dir = scratchDir({ certPem: 'garbage', keyPem: ca.keyPem });
    await assert.rejects(initCa(dir, {}), CaError);
    assert.equal(readFileSync(caPaths(dir).caCert, 'utf8'), 'garbage');
  });

  it('initCa with force replaces the CA and drops cached leaves', async () => {
    const paths = caPaths(dataDir);
    mkdirSync(paths.leavesDir, { recursive: true });
    writeFileSync(join(paths.leavesDir, 'dns_localhost.pem'), 'old leaf');
    const oldCa = ca;

    const replaced = await initCa(dataDir, { force: true });

    assert.equal(replaced.created, true);
    assert.notEqual(replaced.ca.x509.serialNumber, oldCa.x509.serialNumber);
    assert.notEqual(replaced.ca.x509.fingerprint256, oldCa.x509.fingerprint256);
    assert.notEqual(readFileSync(paths.caKey, 'utf8'), oldCa.keyPem);
    assert.equal(existsSync(paths.leavesDir), false);
    if (posix) {
      assert.equal(modeOf(paths.caKey), 0o600);
      assert.equal(modeOf(paths.certsDir), 0o700);
    }

    // The old key does not belong to the new certificate.
    const mixed = scratchDir({ certPem: replaced.ca.certPem, keyPem: oldCa.keyPem });
    assert.throws(() => loadCa(mixed), /does not belong to the certificate/);
  });
});
