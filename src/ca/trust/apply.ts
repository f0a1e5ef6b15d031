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
  const targets = findTargets(options, options.asRootHint);
  const lines: ActionLine[] = [];
  // One store after another: two certutils must not write one profile's database at once.
  for (const target of targets) {
    if ('store' in target) lines.push(await target.store[verb](root));
    else lines.push({ target: target.missing.kind, where: target.missing.where, state: 'not-found', detail: target.missing.detail });
  }
  return lines;
}
