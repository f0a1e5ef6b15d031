import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentInfo } from '../../../../src/scan/types.js';

/** A temp directory holding the given signature files; remove it with removeDir. */
export function signatureDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-sigs-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** ContentInfo of a MIME part without file name or declared type. */
export const NO_INFO: ContentInfo = { location: [], insideArchive: false };
