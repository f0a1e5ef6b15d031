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

/** In the order of the kinds asked for, so each kind's lines stay together. */
export type FoundTarget = { store: TrustStore } | { missing: MissingTarget };

const APPLICATION_NAMES: Record<NssApplication, string> = { thunderbird: 'Thunderbird', firefox: 'Firefox' };

/** The kinds a platform has: Windows trusts through its own store only (Thunderbird and Firefox read it). */
export function platformKinds(platform: NodeJS.Platform): TargetKind[] {
  if (platform === 'win32') return ['system'];
  if (platform === 'darwin') return ['system', 'thunderbird', 'firefox'];
  return ['system', 'thunderbird', 'firefox', 'nssdb'];
}

/** Every trust store of the chosen kinds, and what was missing where a kind has none. */
export function findTargets(scope: TrustScope, asRootHint: RootHint = (verb) => `sudo inboxguard ca ${verb} --only system`): FoundTarget[] {
  const platform = scope.platform ?? process.platform;
  const home = scope.home ?? homedir();
  const kinds = scope.only ?? platformKinds(platform);
  const found: FoundTarget[] = [];
  for (const kind of kinds) {
    if (kind === 'system') addSystem(found, platform, home, scope.root ?? '/', asRootHint);
    else if (kind === 'nssdb') addShared(found, home);
    else addApplication(found, kind, home, platform);
  }
  return found;
}

function addSystem(found: FoundTarget[], platform: NodeJS.Platform, home: string, root: string, asRootHint: RootHint): void {
  if (platform === 'darwin') return void found.push({ store: new MacosKeychainStore(home) });
  if (platform === 'win32') return void found.push({ store: new WindowsRootStore() });
  const flavour = detectSystemFlavour(root);
  if (flavour) return void found.push({ store: new SystemStore(flavour, asRootHint) });
  found.push({ missing: { kind: 'system', where: root, detail: 'no update-ca-certificates, update-ca-trust or trust-source anchor directory' } });
}

function addShared(found: FoundTarget[], home: string): void {
  const { dbs, searched } = findSharedNssDbs(home);
  for (const db of dbs) found.push({ store: new NssStore('nssdb', db, nssFormat(db) ?? 'sql') });
  if (dbs.length === 0) found.push({ missing: { kind: 'nssdb', where: searched.join(', '), detail: 'no cert9.db or cert8.db' } });
}

function addApplication(found: FoundTarget[], application: NssApplication, home: string, platform: NodeJS.Platform): void {
  const search = findProfiles(application, home, platform);
  if (search.iniFiles.length === 0) {
    found.push({ missing: { kind: application, where: search.searched.join(', '), detail: 'no profiles.ini' } });
    return;
  }
  for (const profile of search.profiles) {
    const format = nssFormat(profile);
    if (format) found.push({ store: new NssStore(application, profile, format, APPLICATION_NAMES[application]) });
    else found.push({ missing: { kind: application, where: profile, detail: `no cert9.db or cert8.db in this profile (start ${APPLICATION_NAMES[application]} with it once)` } });
  }
  if (search.profiles.length === 0) found.push({ missing: { kind: application, where: search.iniFiles.join(', '), detail: 'profiles.ini lists no profile' } });
}
