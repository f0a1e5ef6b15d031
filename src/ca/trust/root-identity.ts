import { X509Certificate } from 'node:crypto';
import type { LoadedCa } from '../loaded-ca.js';

/**
 * The name every trust store knows our root by. Stable across `ca init --force`, so an install
 * finds an older inboxguard root under it and replaces it; the fingerprint tells the two apart.
 */
export const ROOT_NICKNAME = 'inboxguard root CA';

/** The root certificate as the trust stores see it. */
export interface RootIdentity {
  nickname: string;
  certPem: string;
  /** A PEM file of the certificate, for the tools that read one (certutil -i, security, Windows certutil). */
  certPath: string;
  der: Buffer;
  /** Uppercase hex without separators. */
  sha256: string;
  sha1: string;
}

export function rootIdentity(ca: Pick<LoadedCa, 'certPem' | 'certPath'>): RootIdentity {
  const x509 = new X509Certificate(ca.certPem);
  return {
    nickname: ROOT_NICKNAME,
    certPem: ca.certPem,
    certPath: ca.certPath,
    der: Buffer.from(x509.raw),
    sha256: plainHex(x509.fingerprint256),
    sha1: plainHex(x509.fingerprint),
  };
}

/** SHA-256 of a PEM certificate, in RootIdentity's form. */
export function sha256OfPem(pem: string): string {
  return plainHex(new X509Certificate(pem).fingerprint256);
}

/** "AB:CD:…" → "ABCD…" */
export function plainHex(fingerprint: string): string {
  return fingerprint.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

/** The PEM certificate blocks in a text (a bundle, certutil -a output). */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** Short form for messages: the first 8 bytes, colon-separated. */
export function shortFingerprint(hex: string): string {
  return (hex.slice(0, 16).match(/../g) ?? []).join(':');
}
