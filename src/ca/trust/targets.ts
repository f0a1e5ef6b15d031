import { homedir } from 'node:os';
import { MacosKeychainStore } from './macos-keychain.js';
import { findProfiles, findSharedNssDbs, nssFormat, type NssApplication } from './nss-locations.js';
import { NssStore } from './nss-store.js';
import { detectSystemFlavour, SystemStore } from './system-store.js';
import type { RootHint, TargetKind, TrustScope, TrustStore } from './types.js';
import { WindowsRootStore } from './windows-store.js';

/** A target kind that has nothing to act on here, with what was looked for. */
export interface MissingTarget {
  kind: TargetKind;
  where: string;
  detail: string;
}

export interface FoundTargets {
  stores: TrustStore[];
  missing: MissingTarget[];
}

const APPLICATION_NAMES: Record<NssApplication, string> = { thunderbird: 'Thunderbird', firefox: 'Firefox' };

/** The kinds a platform has: Windows trusts through its own store only (Thunderbird and Firefox read it). */
export function platformKinds(platform: NodeJS.Platform): TargetKind[] {
  if (platform === 'win32') return ['system'];
  if (platform === 'darwin') return ['system', 'thunderbird', 'firefox'];
  return ['system', 'thunderbird', 'firefox', 'nssdb'];
}

/** Every trust store of the chosen kinds, and a line for each kind with none. */
export function findTargets(scope: TrustScope, asRootHint: RootHint = (verb) => `sudo inboxguard ca ${verb} --only system`): FoundTargets {
  const platform = scope.platform ?? process.platform;
  const home = scope.home ?? homedir();
  const kinds = scope.only ?? platformKinds(platform);
  const found: FoundTargets = { stores: [], missing: [] };
  for (const kind of kinds) {
    if (kind === 'system') addSystem(found, platform, home, scope.root ?? '/', asRootHint);
    else if (kind === 'nssdb') addShared(found, home);
    else addApplication(found, kind, home, platform);
  }
  return found;
}

function addSystem(found: FoundTargets, platform: NodeJS.Platform, home: string, root: string, asRootHint: RootHint): void {
  if (platform === 'darwin') return void found.stores.push(new MacosKeychainStore(home));
  if (platform === 'win32') return void found.stores.push(new WindowsRootStore());
  const flavour = detectSystemFlavour(root);
  if (flavour) return void found.stores.push(new SystemStore(flavour, asRootHint));
  found.missing.push({ kind: 'system', where: root, detail: 'no update-ca-certificates, update-ca-trust or trust-source anchor directory' });
}

function addShared(found: FoundTargets, home: string): void {
  const { dbs, searched } = findSharedNssDbs(home);
  for (const db of dbs) found.stores.push(new NssStore('nssdb', db, nssFormat(db) ?? 'sql'));
  if (dbs.length === 0) found.missing.push({ kind: 'nssdb', where: searched.join(', '), detail: 'no cert9.db or cert8.db' });
}

function addApplication(found: FoundTargets, application: NssApplication, home: string, platform: NodeJS.Platform): void {
  const search = findProfiles(application, home, platform);
  if (search.iniFiles.length === 0) {
    found.missing.push({ kind: application, where: search.searched.join(', '), detail: 'no profiles.ini' });
    return;
  }
  for (const profile of search.profiles) {
    const format = nssFormat(profile);
    if (format) found.stores.push(new NssStore(application, profile, format, APPLICATION_NAMES[application]));
    else found.missing.push({ kind: application, where: profile, detail: `no cert9.db or cert8.db in this profile (start ${APPLICATION_NAMES[application]} with it once)` });
  }
  if (search.profiles.length === 0) found.missing.push({ kind: application, where: search.iniFiles.join(', '), detail: 'profiles.ini lists no profile' });
}
