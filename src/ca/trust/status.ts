import { CaError } from '../ca-error.js';
import type { LoadedCa } from '../loaded-ca.js';
import { loadCa } from '../root.js';
import { rootIdentity, type RootIdentity } from './root-identity.js';
import { findTargets } from './targets.js';
import type { StatusLine, TrustScope } from './types.js';

export type TrustStatusOptions = TrustScope & ({ ca: LoadedCa | RootIdentity } | { dataDir: string });

/**
 * Where the current root CA is trusted: one line per trust store found, and a not-found line
 * per kind with none. For `ca status` and the doctor; never throws for a store's trouble (that
 * is an "error" line), only for a missing or damaged CA.
 */
export async function trustStatus(options: TrustStatusOptions): Promise<StatusLine[]> {
  const root = identityOf(options);
  const targets = findTargets(options);
  const lines: StatusLine[] = [];
  for (const target of targets) {
    if ('store' in target) lines.push(await target.store.status(root));
    else lines.push({ target: target.missing.kind, where: target.missing.where, state: 'not-found', detail: target.missing.detail });
  }
  return lines;
}

function identityOf(options: TrustStatusOptions): RootIdentity {
  if ('ca' in options) return 'sha256' in options.ca ? options.ca : rootIdentity(options.ca);
  const ca = loadCa(options.dataDir);
  if (!ca) throw new CaError(`no root CA in ${options.dataDir}; create one with: inboxguard ca init`);
  return rootIdentity(ca);
}
