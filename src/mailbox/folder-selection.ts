// Which folders a mailbox scan visits: --folders patterns ('INBOX,Archive/*': `*` and `?` as in file
// globs, matched against the full folder path, INBOX in any case) or every selectable folder.
import { compileGlob } from '../rules/glob.js';
import { UserError } from '../user-error.js';

export interface ServerFolder {
  path: string;
  /** \Noselect folders (and \NonExistent ones) hold no messages. */
  selectable: boolean;
}

export type FolderRequest = { all: true; except: string[] } | { all: false; patterns: string[] };

/** Splits --folders on commas; empty names are refused. */
export function parseFolderList(text: string): string[] {
  const patterns = text.split(',').map((name) => name.trim());
  if (patterns.length === 0 || patterns.some((name) => name.length === 0)) throw new UserError(`--folders "${text}": name folders separated by commas, e.g. 'INBOX,Archive/*'`);
  return patterns;
}

/** The folders to scan, in the server's order; a pattern that matches no folder is an error. */
export function selectFolders(folders: readonly ServerFolder[], request: FolderRequest): string[] {
  const selectable = folders.filter((folder) => folder.selectable);
  if (request.all) {
    const except = new Set(request.except.map(normalize));
    return selectable.map((folder) => folder.path).filter((path) => !except.has(normalize(path)));
  }
  const chosen = new Set<string>();
  for (const pattern of request.patterns) {
    const matches = selectable.filter((folder) => matchesFolder(pattern, folder.path));
    if (matches.length === 0) throw new UserError(`folder "${pattern}" does not exist on the server${/[*?]/.test(pattern) ? ' (no folder matches)' : ''}; see the folder names with --all-folders --dry-run`);
    for (const folder of matches) chosen.add(folder.path);
  }
  return selectable.map((folder) => folder.path).filter((path) => chosen.has(path));
}

function matchesFolder(pattern: string, path: string): boolean {
  // Folder names are case-sensitive on most servers; only INBOX is not (RFC 3501 §5.1).
  if (normalize(path) === 'INBOX') return compileGlob(pattern, false).test('INBOX');
  return compileGlob(pattern, true).test(path);
}

function normalize(path: string): string {
  return path.toUpperCase() === 'INBOX' ? 'INBOX' : path;
}
