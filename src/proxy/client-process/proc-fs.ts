// The few /proc reads the Linux lookup makes, behind an interface so its logic is tested on fixture text.
// /proc is generated in memory by the kernel, so the real reads are synchronous: an async call costs
// far more CPU than the read itself and waits for a libuv pool thread, which a busy proxy (spool and
// quarantine writes, fsync) may hold for seconds. Callers bound how much they read before yielding.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

export interface ProcFs {
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  /** The owner uid of a path (for /proc/PID: the process's user). */
  ownerUid(path: string): Promise<number>;
}

export const realProcFs: ProcFs = {
  readFile: async (path) => readFileSync(path, 'utf8'),
  readdir: async (path) => readdirSync(path),
  readlink: async (path) => readlinkSync(path),
  ownerUid: async (path) => statSync(path).uid,
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
