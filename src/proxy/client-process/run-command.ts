import { execFile } from 'node:child_process';

/** stdout of a command run without a shell; rejects on failure or after timeoutMs. */
export function runCommand(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (error, stdout) => {
      // lsof exits 1 when some of what it was asked for is absent, with useful output all the same.
      if (error && !stdout) reject(error);
      else resolve(stdout);
    });
  });
}
