// Locates an executable the way a shell would, plus the sbin directories that a non-root PATH
// often lacks (Debian installs dovecot in /usr/sbin).
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of the executable, or undefined when it is not installed. */
export function findCommand(name: string): string | undefined {
  if (name.includes('/')) return isExecutableFile(name) ? name : undefined;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean).concat(EXTRA_DIRS);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
