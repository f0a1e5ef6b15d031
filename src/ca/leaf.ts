import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { join } from 'node:path';
import type { LoadedCa } from './loaded-ca.js';
import { buildLeafCertificatePem } from './leaf-certificate.js';
import { readUsableLeaf, renewalDate } from './leaf-cache.js';
import { loadOrCreateLeafKey, type LeafKey } from './leaf-key.js';
import { caPaths, type CaPaths } from './paths.js';
import { ensurePrivateDir, writeFileAtomically } from './private-files.js';
import { leafFileName, parseServerName, type ServerName } from './server-name.js';

export interface LeafIssuerOptions {
  /** Clock, for tests. */
  now?: () => Date;
  /** Most SecureContexts kept in memory; the least recently used go first. */
  maxCachedContexts?: number;
}

export interface LeafPem {
  certPem: string;
  keyPem: string;
}

interface CachedLeaf {
  certPem: string;
  context: SecureContext;
  renewAfter: Date;
}

/**
 * Mints server certificates signed by the root CA, one per DNS name or IP address, and keeps
 * them in memory and in <dataDir>/certs/leaves so a restart does not mint them again.
 * Synchronous so it can answer an SNICallback straight away.
 */
export class LeafIssuer {
  private readonly paths: CaPaths;
  private readonly now: () => Date;
  private readonly maxCachedContexts: number;
  private readonly leaves = new Map<string, CachedLeaf>();
  private leafKey: LeafKey | undefined;

  constructor(
    private readonly ca: LoadedCa,
    dataDir: string,
    options: LeafIssuerOptions = {},
  ) {
    this.paths = caPaths(dataDir);
    this.now = options.now ?? (() => new Date());
    this.maxCachedContexts = options.maxCachedContexts ?? 1000;
  }

  /** A context presenting the leaf for name (an SNI host name, or the listener's IP when there was no SNI). */
  secureContextFor(name: string): SecureContext {
    return this.leafFor(name).context;
  }

  leafPemFor(name: string): LeafPem {
    return { certPem: this.leafFor(name).certPem, keyPem: this.key().pem };
  }

  private leafFor(rawName: string): CachedLeaf {
    const name = parseServerName(rawName);
    const now = this.now();
    const inMemory = this.leaves.get(name.value);
    if (inMemory && now < inMemory.renewAfter) {
      this.leaves.delete(name.value);
      this.leaves.set(name.value, inMemory);
      return inMemory;
    }
    const certPem = this.fromDisk(name, now) ?? this.mint(name, now);
    const leaf: CachedLeaf = {
      certPem,
      context: createSecureContext({ cert: certPem, key: this.key().pem, minVersion: 'TLSv1.2' }),
      renewAfter: renewalDate(new Date(new X509Certificate(certPem).validTo)),
    };
    this.remember(name.value, leaf);
    return leaf;
  }

  private fromDisk(name: ServerName, now: Date): string | null {
    return readUsableLeaf(this.leafPath(name), { ca: this.ca, leafKey: this.key().privateKey, name, now });
  }

  private mint(name: ServerName, now: Date): string {
    const certPem = buildLeafCertificatePem({ ca: this.ca, leafPublicKey: this.key().forgePublicKey, name, now });
    ensurePrivateDir(this.paths.leavesDir);
    writeFileAtomically(this.leafPath(name), certPem, 0o644);
    return certPem;
  }

  private remember(key: string, leaf: CachedLeaf): void {
    this.leaves.delete(key);
    this.leaves.set(key, leaf);
    if (this.leaves.size > this.maxCachedContexts) {
      const oldest = this.leaves.keys().next().value;
      if (oldest !== undefined) this.leaves.delete(oldest);
    }
  }

  private leafPath(name: ServerName): string {
    return join(this.paths.leavesDir, leafFileName(name));
  }

  private key(): LeafKey {
    this.leafKey ??= loadOrCreateLeafKey(this.paths.leafKey);
    return this.leafKey;
  }
}
