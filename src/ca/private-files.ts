import { chmodSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { CaError } from './ca-error.js';

// Windows has no POSIX modes: chmod only toggles read-only and stat reports 0666.
const posixModes = process.platform !== 'win32';

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask and ignored for a directory that already exists.
  if (posixModes) chmodSync(dir, 0o700);
}

/**
 * Writes through a temporary file and a rename, so readers never see half a file.
 * The mode is set at creation and again with chmod, since the umask filters the first.
 */
export function writeFileAtomically(path: string, data: string | Buffer, mode: number): void {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, data, { mode, flag: 'wx' });
    if (posixModes) chmodSync(temporary, mode);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export function writePrivateFile(path: string, data: string | Buffer): void {
  writeFileAtomically(path, data, 0o600);
}

export function assertOwnerOnly(path: string): void {
  if (!posixModes) return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new CaError(
      `${path} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); ` +
        `restrict it with: chmod 600 ${path}`,
    );
  }
}
