// Where the signature files shipped with inboxguard live. They are data, not code: tsc does not copy
// them to dist/, so one copy stays in src/scan/signatures/ (npm packs src/ too). From source (tsx)
// that directory is next door; from dist/ we walk up to the package root and use its src/ copy.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RELATIVE_FROM_HERE = '../../../signatures';
const FROM_PACKAGE_ROOT = join('src', 'scan', 'signatures');
const PACKAGE_NAME = 'inboxguard';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isInboxguardRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** Absolute path of src/scan/signatures, whether this module runs from src/ or dist/. */
export function shippedSignatureDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, RELATIVE_FROM_HERE);
  if (isDirectory(sibling)) return sibling;
  for (let dir = here; ; dir = dirname(dir)) {
    if (isInboxguardRoot(dir) && isDirectory(join(dir, FROM_PACKAGE_ROOT))) return join(dir, FROM_PACKAGE_ROOT);
    if (dirname(dir) === dir) break;
  }
  throw new Error(`shipped signatures not found (looked in ${sibling} and in ${FROM_PACKAGE_ROOT} of the ${PACKAGE_NAME} package)`);
}
