import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { constants } from 'node:fs';
import { copyFile, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

// Windows has no POSIX modes: chmod only toggles read-only and stat reports 0666.
export const posixModes = process.platform !== 'win32';

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask and ignored for a directory that already exists.
  if (posixModes) chmodSync(dir, 0o700);
}

/**
 * Writes through a temporary file, fsync and a rename (then fsyncs the directory), so readers never
 * see half a file and a crash never loses a file that was reported written. The mode is set at
 * creation and again with chmod, since the umask filters the first.
 */
export function writeFileAtomically(path: string, data: string | Buffer, mode: number): void {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  try {
    const fd = openSync(temporary, 'wx', mode);
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      if (posixModes) chmodSync(temporary, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  syncDirectory(dirname(path));
}

export function writePrivateFile(path: string, data: string | Buffer): void {
  writeFileAtomically(path, data, 0o600);
}

/** writePrivateFile without blocking the event loop: the writes and fsyncs run on libuv's thread pool. */
export async function writePrivateFileAsync(path: string, data: Buffer | string): Promise<void> {
  await replaceAtomicallyAsync(path, async (temporary) => {
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(data);
      if (posixModes) await file.chmod(0o600);
      await file.sync();
    } finally {
      await file.close();
    }
  });
}

/**
 * writePrivateFileAsync of the first `sourceBytes` bytes of the file `source` followed by `tail`: the
 * kernel copies the file (copy_file_range, or a reflink), so its bytes never pass through this process.
 */
export async function copyPrivateFileAsync(path: string, source: string, sourceBytes: number, tail: Uint8Array): Promise<void> {
  await replaceAtomicallyAsync(path, async (temporary) => {
    await copyFile(source, temporary, constants.COPYFILE_EXCL);
    const file = await open(temporary, 'r+');
    try {
      if (posixModes) await file.chmod(0o600);
      await file.truncate(sourceBytes);
      if (tail.length > 0) await file.write(tail, 0, tail.length, sourceBytes);
      await file.sync();
    } finally {
      await file.close();
    }
  });
}

/** `fill` writes and syncs a temporary file beside `path`, which then replaces `path` durably (or is removed). */
async function replaceAtomicallyAsync(path: string, fill: (temporary: string) => Promise<void>): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fill(temporary);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectoryAsync(dirname(path));
}

async function syncDirectoryAsync(path: string): Promise<void> {
  if (!posixModes) return;
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function syncDirectory(dir: string): void {
  if (!posixModes) return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
