import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { profileDirectories } from './profiles-ini.js';

export type NssApplication = 'thunderbird' | 'firefox';

/**
 * Where each application keeps profiles.ini, relative to the home directory: the normal
 * install, the snap, the flatpak, and (Firefox ≥ 147 on Linux) the XDG config directory.
 */
const PROFILE_ROOTS: Record<NssApplication, Partial<Record<NodeJS.Platform | 'default', string[]>>> = {
  thunderbird: {
    default: ['.thunderbird', 'snap/thunderbird/common/.thunderbird', '.var/app/org.mozilla.Thunderbird/.thunderbird'],
    darwin: ['Library/Thunderbird'],
    win32: ['AppData/Roaming/Thunderbird'],
  },
  firefox: {
    default: ['.mozilla/firefox', 'snap/firefox/common/.mozilla/firefox', '.var/app/org.mozilla.firefox/.mozilla/firefox', '.config/mozilla/firefox'],
    darwin: ['Library/Application Support/Firefox'],
    win32: ['AppData/Roaming/Mozilla/Firefox'],
  },
};

/** The shared NSS databases Chromium and other NSS programs use on Linux. */
const SHARED_NSS_DBS = ['.pki/nssdb', 'snap/chromium/current/.pki/nssdb'];

export interface ProfileSearch {
  /** The profiles.ini files that exist. */
  iniFiles: string[];
  /** Profile directories they list, each once (by real path), in file order. */
  profiles: string[];
  /** Every profiles.ini location looked at, for a "not found" line. */
  searched: string[];
}

export function findProfiles(application: NssApplication, home: string, platform: NodeJS.Platform): ProfileSearch {
  const roots = PROFILE_ROOTS[application][platform] ?? PROFILE_ROOTS[application].default ?? [];
  const searched = roots.map((root) => join(home, ...root.split('/'), 'profiles.ini'));
  const iniFiles = searched.filter((path) => existsSync(path));
  const seen = new Set<string>();
  const profiles: string[] = [];
  for (const iniFile of iniFiles) {
    for (const dir of profileDirectories(iniFile, readText(iniFile))) {
      const key = realPath(dir);
      if (seen.has(key)) continue;
      seen.add(key);
      profiles.push(dir);
    }
  }
  return { iniFiles, profiles, searched };
}

/** The shared NSS databases (~/.pki/nssdb, Chromium's snap copy) that exist. */
export function findSharedNssDbs(home: string): { dbs: string[]; searched: string[] } {
  const searched = SHARED_NSS_DBS.map((dir) => join(home, ...dir.split('/')));
  return { dbs: searched.filter((dir) => nssFormat(dir) !== null), searched };
}

export type NssFormat = 'sql' | 'dbm';

/** The database format in dir: sql (cert9.db, Firefox ≥ 58, Thunderbird ≥ 60), else the old dbm (cert8.db), else none. */
export function nssFormat(dir: string): NssFormat | null {
  if (existsSync(join(dir, 'cert9.db'))) return 'sql';
  if (existsSync(join(dir, 'cert8.db'))) return 'dbm';
  return null;
}

/** An unreadable profiles.ini counts as listing no profile (its line says so) rather than failing every target. */
function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
