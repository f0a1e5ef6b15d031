import { findTargets } from './targets.js';
import type { RootIdentity } from './root-identity.js';
import type { ActionLine, RootHint, TrustScope } from './types.js';

export interface ApplyOptions extends TrustScope {
  /** e.g. "sudo inboxguard --data-dir D ca install --only system" */
  asRootHint?: RootHint;
}

/** `ca install`: one line per trust store of the chosen kinds, and one per kind with none. */
export function installRoot(root: RootIdentity, options: ApplyOptions): Promise<ActionLine[]> {
  return applyEverywhere(root, options, 'install');
}

/** `ca uninstall`: removes what install added (our nickname and the current fingerprint), nothing else. */
export function uninstallRoot(root: RootIdentity, options: ApplyOptions): Promise<ActionLine[]> {
  return applyEverywhere(root, options, 'uninstall');
}

async function applyEverywhere(root: RootIdentity, options: ApplyOptions, verb: 'install' | 'uninstall'): Promise<ActionLine[]> {
  const { stores, missing } = findTargets(options, options.asRootHint);
  const lines: ActionLine[] = [];
  // One store after another: NSS databases of one profile must not be written by two certutils at once.
  for (const store of stores) lines.push(await store[verb](root));
  for (const target of missing) lines.push({ target: target.kind, where: target.where, state: 'not-found', detail: target.detail });
  return lines;
}
