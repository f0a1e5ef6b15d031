// exclusions.applications: each entry is an executable's full path, its base name, or an IMAP ID name.
// File names compare case-insensitively where the file system usually does (Windows, macOS);
// on Windows "thunderbird" also matches thunderbird.exe. IMAP ID names always compare case-insensitively.
import { basename as posixBasename } from 'node:path/posix';
import { basename as win32Basename } from 'node:path/win32';
import type { ClientApplication } from './client-process/types.js';

export interface ApplicationFacts {
  process?: ClientApplication;
  /** The name the client gave in its IMAP ID command. */
  imapIdName?: string;
}

function looksLikePath(entry: string): boolean {
  return entry.includes('/') || entry.includes('\\');
}

/** The entry that matches, or undefined. */
export function matchApplication(entries: readonly string[], facts: ApplicationFacts, platform: NodeJS.Platform = process.platform): string | undefined {
  const foldCase = platform === 'win32' || platform === 'darwin';
  const same = (a: string, b: string): boolean => (foldCase ? a.toLowerCase() === b.toLowerCase() : a === b);
  const basename = platform === 'win32' ? win32Basename : posixBasename;
  const names: string[] = [];
  const exe = facts.process?.exe;
  if (exe) names.push(basename(exe));
  if (facts.process?.name) names.push(facts.process.name);
  if (platform === 'win32') names.push(...names.map((name) => name.replace(/\.exe$/i, '')));
  for (const raw of entries) {
    const entry = raw.trim();
    if (looksLikePath(entry)) {
      if (exe && same(entry, exe)) return entry;
      continue;
    }
    if (names.some((name) => same(entry, name))) return entry;
    if (facts.imapIdName !== undefined && entry.toLowerCase() === facts.imapIdName.toLowerCase()) return entry;
  }
  return undefined;
}

/** How the connection event names the application. */
export function describeApplication(application: ClientApplication): string {
  return application.exe ? posixBasename(application.exe.replace(/\\/g, '/')) : application.name;
}
