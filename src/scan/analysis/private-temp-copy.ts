// A copy of a part for a program to read: a 0600 file in a fresh 0700 directory, removed with it.
import { chmod, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { posixModes } from '../../private-files.js';

export interface PrivateTempCopy {
  path: string;
  dir: string;
  /** Removes the directory and everything in it; safe to call twice. */
  remove(): Promise<void>;
}

const MAX_NAME = 100;

/**
 * A file name safe to hand to any program: letters, digits, '.', '_', '-' only, no leading dot or
 * dash, at most 100 characters, keeping the extension scanners may look at. Default "part".
 */
export function safeFileName(name: string | undefined): string {
  const cleaned = (name ?? '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.\-_]+/, '');
  if (cleaned === '') return 'part';
  if (cleaned.length <= MAX_NAME) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : '';
  return cleaned.slice(0, MAX_NAME - extension.length) + extension;
}

export async function writePrivateTempCopy(content: Buffer, name: string | undefined, parentDir: string = tmpdir()): Promise<PrivateTempCopy> {
  // mkdtemp creates the directory 0700, regardless of the umask.
  const dir = await mkdtemp(join(parentDir, 'ig-analysis-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const path = join(dir, safeFileName(name));
    const file = await open(path, 'wx', 0o600);
    try {
      if (posixModes) await file.chmod(0o600);
      await file.writeFile(content);
    } finally {
      await file.close();
    }
    if (posixModes) await chmod(dir, 0o700);
    return { path, dir, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
