// Where the running proxy's control endpoint listens: a Unix socket in the data dir, or on Windows a
// named pipe whose name is derived from the data dir (pipes live in their own namespace, not in files).
import { createHash } from 'node:crypto';
import { join, win32 } from 'node:path';
import { UserError } from '../user-error.js';

export const CONTROL_SOCKET_NAME = 'control.sock';

export function controlSocketPath(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform !== 'win32') return join(dataDir, CONTROL_SOCKET_NAME);
  // Windows paths are case-insensitive: one data dir, one pipe, however it was spelled.
  const key = createHash('sha256').update(win32.resolve(dataDir).toLowerCase()).digest('hex').slice(0, 24);
  return `\\\\.\\pipe\\inboxguard-${key}`;
}

/** sockaddr_un.sun_path holds 108 bytes on Linux and 104 on macOS and the BSDs, the final NUL included. */
export function maxSocketPathBytes(platform: NodeJS.Platform = process.platform): number {
  return platform === 'linux' ? 107 : 103;
}

export function checkSocketPathLength(path: string, platform: NodeJS.Platform = process.platform): void {
  const bytes = Buffer.byteLength(path);
  const limit = maxSocketPathBytes(platform);
  if (bytes > limit) {
    throw new UserError(`the control socket path ${path} is ${bytes} bytes long, more than a Unix socket allows (${limit}); use a shorter --data-dir`);
  }
}
