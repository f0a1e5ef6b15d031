import { statSync } from 'node:fs';
import { posixModes } from '../private-files.js';
import { CaError } from './ca-error.js';

export { ensurePrivateDir, writeFileAtomically, writePrivateFile } from '../private-files.js';

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
