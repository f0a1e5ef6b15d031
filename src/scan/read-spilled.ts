import { open } from 'node:fs/promises';

/** What a scan worker is handed for a spilled body (SpilledFile as it arrives through postMessage). */
export interface SpilledFileMessage {
  path: string;
  fileBytes: number;
  tail: Uint8Array;
}

/** The whole body of a spilled spool, read by the thread that scans it: the file's bytes, then the tail. */
export async function readSpilled(file: SpilledFileMessage): Promise<Buffer> {
  const whole = Buffer.allocUnsafe(file.fileBytes + file.tail.length);
  const handle = await open(file.path, 'r');
  try {
    for (let done = 0; done < file.fileBytes; ) {
      const { bytesRead } = await handle.read(whole, done, file.fileBytes - done, done);
      if (bytesRead === 0) throw new Error('the spool file is shorter than the body');
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  whole.set(file.tail, file.fileBytes);
  return whole;
}
