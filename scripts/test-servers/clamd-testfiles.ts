// The samples of Debian's clamav-testfiles package, and an .hdb that names each of them by the MD5
// of its raw bytes (Testfile.<file name>), so that both engines can detect every sample as a whole.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CLAMAV_TESTFILES_DIR = '/usr/share/clamav-testfiles';
export const CLAMAV_TESTFILES_PACKAGE = 'clamav-testfiles';

export function clamavTestfiles(): Array<{ name: string; path: string }> {
  if (!existsSync(CLAMAV_TESTFILES_DIR)) return [];
  return readdirSync(CLAMAV_TESTFILES_DIR)
    .sort()
    .map((name) => ({ name, path: join(CLAMAV_TESTFILES_DIR, name) }));
}

export function testfileHashSignatures(): string {
  return clamavTestfiles()
    .map(({ name, path }) => {
      const content = readFileSync(path);
      return `${createHash('md5').update(content).digest('hex')}:${content.length}:Testfile.${name}\n`;
    })
    .join('');
}
