import { createRequire } from 'node:module';
import type Forge from 'node-forge';

let loaded: typeof Forge | undefined;

/**
 * node-forge, loaded on first use: only minting a certificate needs it, and a proxy whose CA and
 * leaves are already on disk then never holds its ~1.7 MiB. Synchronous (require) because a leaf is
 * minted inside an SNICallback.
 */
export function forge(): typeof Forge {
  loaded ??= createRequire(import.meta.url)('node-forge') as typeof Forge;
  return loaded;
}
