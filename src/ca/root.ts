import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { CaError } from './ca-error.js';
import { parseCa, type LoadedCa } from './loaded-ca.js';
import { caPaths } from './paths.js';
import { assertOwnerOnly, ensurePrivateDir, writeFileAtomically, writePrivateFile } from './private-files.js';
import { buildRootCertificatePem, ROOT_KEY_BITS } from './root-certificate.js';
import { generateRsaPrivateKeyPem } from './rsa-keys.js';

export interface InitCaResult {
  created: boolean;
  ca: LoadedCa;
}

/**
 * Creates the root CA in <dataDir>/certs unless one exists. With force, replaces it and drops
 * the cached leaf certificates, which the old root signed. A damaged CA is never replaced
 * without force: loadCa's error is passed on.
 */
export async function initCa(dataDir: string, opts: { force?: boolean } = {}): Promise<InitCaResult> {
  if (!opts.force) {
    const existing = loadCa(dataDir);
    if (existing) return { created: false, ca: existing };
  }
  const paths = caPaths(dataDir);
  const keyPem = await generateRsaPrivateKeyPem(ROOT_KEY_BITS);
  const certPem = buildRootCertificatePem({ keyPem, hostname: hostname(), now: new Date() });

  ensurePrivateDir(paths.certsDir);
  rmSync(paths.leavesDir, { recursive: true, force: true });
  writePrivateFile(paths.caKey, keyPem);
  writeFileAtomically(paths.caCert, certPem, 0o644);

  const ca = loadCa(dataDir);
  if (!ca) throw new CaError(`the CA just written to ${paths.certsDir} cannot be found`);
  return { created: true, ca };
}

/** The root CA in <dataDir>/certs, or null when there is none. */
export function loadCa(dataDir: string): LoadedCa | null {
  const { caCert, caKey } = caPaths(dataDir);
  const hasCert = existsSync(caCert);
  const hasKey = existsSync(caKey);
  if (!hasCert && !hasKey) return null;
  if (!hasCert || !hasKey) {
    const [present, missing] = hasCert ? [caCert, caKey] : [caKey, caCert];
    throw new CaError(`${missing} is missing but ${present} exists; restore it, or re-create the CA with --force`);
  }
  assertOwnerOnly(caKey);
  return parseCa({ certPem: readText(caCert), keyPem: readText(caKey), certPath: caCert, keyPath: caKey });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CaError(`cannot read ${path}: ${reason}`);
  }
}
