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

/**
 * How one private file is filled: with bytes, or with the first `sourceBytes` of the file `source` followed
 * by `tail` (copied by the kernel: copy_file_range or a reflink, never through this process).
 */
export type PrivateFileContent = { data: Buffer | string } | { source: string; sourceBytes: number; tail: Uint8Array };

/**
 * Several private files replaced durably in one step, without blocking the event loop (the writes, the
 * kernel's copies and the fsyncs run on libuv's thread pool): their temporaries are written and fsynced
 * at the same time (each beside its file), then renamed in the order given, and each directory is
 * fsynced once: a reader of the directory sees the files appear in that order, each complete, and all
 * of them are durable once this resolves. On a failure before the renames every temporary is removed
 * and no file is replaced.
 */
export async function writePrivateFilesAsync(files: readonly { path: string; content: PrivateFileContent }[]): Promise<void> {
  const temporaries = files.map(({ path }) => `${path}.${randomBytes(6).toString('hex')}.tmp`);
  const filled = await Promise.allSettled(files.map(({ content }, index) => fill(temporaries[index], content)));
  const failed = filled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  try {
    if (failed) throw failed.reason;
    for (const [index, { path }] of files.entries()) await rename(temporaries[index], path);
  } catch (error) {
    await Promise.all(temporaries.map((temporary) => rm(temporary, { force: true })));
    throw error;
  }
  for (const dir of new Set(files.map(({ path }) => dirname(path)))) await syncDirectoryAsync(dir);
}

/** Writes and fsyncs a new 0600 file at `temporary`. */
async function fill(temporary: string, content: PrivateFileContent): Promise<void> {
  if ('data' in content) {
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(content.data);
      if (posixModes) await file.chmod(0o600);
      await file.sync();
    } finally {
      await file.close();
    }
    return;
  }
  await copyFile(content.source, temporary, constants.COPYFILE_EXCL);
  const file = await open(temporary, 'r+');
  try {
    if (posixModes) await file.chmod(0o600);
    await file.truncate(content.sourceBytes);
    if (content.tail.length > 0) await file.write(content.tail, 0, content.tail.length, content.sourceBytes);
    await file.sync();
  } finally {
    await file.close();
  }
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
