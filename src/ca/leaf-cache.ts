import { X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LoadedCa } from './loaded-ca.js';
import type { ServerName } from './server-name.js';

const RENEW_BEFORE_EXPIRY_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** When a leaf with this expiry date should be replaced. */
export function renewalDate(notAfter: Date): Date {
  return new Date(notAfter.getTime() - RENEW_BEFORE_EXPIRY_DAYS * DAY_MS);
}

export interface LeafExpectations {
  ca: LoadedCa;
  leafKey: KeyObject;
  name: ServerName;
  now: Date;
}

/**
 * The leaf cached at path if it can still be served: signed by the current root, for the
 * current leaf key and this name, already valid and not about to expire. Otherwise (missing,
 * corrupt, stale) null, and the caller mints a new one.
 */
export function readUsableLeaf(path: string, expected: LeafExpectations): string | null {
  let pem: string;
  let leaf: X509Certificate;
  try {
    pem = readFileSync(path, 'utf8');
    leaf = new X509Certificate(pem);
  } catch {
    return null;
  }
  return isUsableLeaf(leaf, expected) ? pem : null;
}

function isUsableLeaf(leaf: X509Certificate, { ca, leafKey, name, now }: LeafExpectations): boolean {
  const matchesName = name.kind === 'dns' ? leaf.checkHost(name.value) !== undefined : leaf.checkIP(name.value) !== undefined;
  return (
    leaf.checkIssued(ca.x509) &&
    leaf.verify(ca.x509.publicKey) &&
    leaf.checkPrivateKey(leafKey) &&
    matchesName &&
    new Date(leaf.validFrom) <= now &&
    now < renewalDate(new Date(leaf.validTo))
  );
}
