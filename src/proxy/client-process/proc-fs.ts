// The few /proc reads the Linux lookup makes, behind an interface so its logic is tested on fixture text.
import { readdir, readFile, readlink, stat } from 'node:fs/promises';

export interface ProcFs {
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  /** The owner uid of a path (for /proc/PID: the process's user). */
  ownerUid(path: string): Promise<number>;
}

export const realProcFs: ProcFs = {
  readFile: (path) => readFile(path, 'utf8'),
  readdir: (path) => readdir(path),
  readlink: (path) => readlink(path),
  ownerUid: async (path) => (await stat(path)).uid,
};

/** "socket:[12345]" → 12345; anything else (files, pipes, anon inodes) → undefined. */
export function socketInode(link: string): number | undefined {
  const match = /^socket:\[(\d+)\]$/.exec(link);
  return match ? Number(match[1]) : undefined;
}

/** Calls share one run of `read` that starts after the latest of them, so each sees the state as of its call. */
export function coalesced<T>(read: () => Promise<T>): () => Promise<T> {
  let queued: Promise<T> | undefined;
  let previous: Promise<unknown> = Promise.resolve();
  return () => {
    if (queued) return queued;
    const next = previous.catch(() => undefined).then(() => {
      queued = undefined;
      return read();
    });
    queued = next;
    previous = next;
    return next;
  };
}
