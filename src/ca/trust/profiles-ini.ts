import { dirname, isAbsolute, join, resolve } from 'node:path';

/** A [ProfileN] section of a Mozilla profiles.ini. */
export interface IniProfile {
  name?: string;
  path: string;
  isRelative: boolean;
}

/**
 * The profiles listed in a Thunderbird or Firefox profiles.ini. Only [ProfileN] sections name
 * profiles; [InstallXXXX] sections repeat one of them as an install's default, [General] and
 * [BackgroundTasksProfiles] name none. IsRelative=1 means Path is relative to the ini's
 * directory (with "/" separators, also on Windows); a missing IsRelative follows the Path.
 */
export function parseProfilesIni(text: string): IniProfile[] {
  const profiles: IniProfile[] = [];
  for (const section of iniSections(text)) {
    if (!/^Profile\d+$/i.test(section.name)) continue;
    const path = section.values.get('path');
    if (!path) continue;
    const flag = section.values.get('isrelative');
    const isRelative = flag === undefined ? !isAbsolute(path) : flag === '1';
    profiles.push({ name: section.values.get('name'), path, isRelative });
  }
  return profiles;
}

/** Absolute profile directories of the profiles.ini at iniPath. */
export function profileDirectories(iniPath: string, text: string): string[] {
  const base = dirname(iniPath);
  return parseProfilesIni(text).map((profile) => (profile.isRelative ? join(base, ...profile.path.split('/')) : resolve(profile.path)));
}

interface IniSection {
  name: string;
  /** Keys lower-cased: Mozilla's parser is case-sensitive, but hand-edited files vary. */
  values: Map<string, string>;
}

function iniSections(text: string): IniSection[] {
  const sections: IniSection[] = [];
  let current: IniSection | undefined;
  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = { name: header[1].trim(), values: new Map() };
      sections.push(current);
      continue;
    }
    const equals = line.indexOf('=');
    if (!current || equals <= 0) continue;
    current.values.set(line.slice(0, equals).trim().toLowerCase(), line.slice(equals + 1).trim());
  }
  return sections;
}
