import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type Forge from 'node-forge';
import { forge } from './forge.js';
import { assertOwnerOnly, ensurePrivateDir, writePrivateFile } from './private-files.js';
import { generateRsaPrivateKeyPemSync } from './rsa-keys.js';

const LEAF_KEY_BITS = 2048;

/** The one key pair every leaf certificate uses. */
export interface LeafKey {
  pem: string;
  privateKey: KeyObject;
  /** forge's view of the public key, for minting leaves; forge is loaded on first use. */
  readonly forgePublicKey: Forge.pki.rsa.PublicKey;
}

/**
 * Reads the leaf key, or creates it (0600) when absent. An unreadable key is replaced rather
 * than reported: it protects nothing the root does not, and leaves cached for the old key are
 * re-minted because they no longer match it. A key others can read is still an error.
 */
export function loadOrCreateLeafKey(path: string): LeafKey {
  if (existsSync(path)) {
    assertOwnerOnly(path);
    const existing = parseLeafKey(readFileSync(path, 'utf8'));
    if (existing) return existing;
  }
  const pem = generateRsaPrivateKeyPemSync(LEAF_KEY_BITS);
  ensurePrivateDir(dirname(path));
  writePrivateFile(path, pem);
  const created = parseLeafKey(pem);
  if (!created) throw new Error('a freshly generated leaf key cannot be parsed');
  return created;
}

function parseLeafKey(pem: string): LeafKey | null {
  try {
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'rsa') return null;
    let forgePublicKey: Forge.pki.rsa.PublicKey | undefined;
    return {
      pem,
      privateKey,
      get forgePublicKey() {
        if (!forgePublicKey) {
          const { pki } = forge();
          const forgeKey = pki.privateKeyFromPem(pem);
          forgePublicKey = pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
        }
        return forgePublicKey;
      },
    };
  } catch {
    return null;
  }
}
