import { appendFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { nodeSpoolFiles, type SpoolFiles } from '../../src/proxy/body-spool.js';

export interface SpoolFaults {
  /** makeDir() rejects with this code (e.g. EACCES, ENOSPC). */
  makeDirFails?: string;
  /** Writes succeed until the file holds this many bytes; the write that would pass it fails with ENOSPC (a full disk). */
  diskBytes?: number;
  /** Every write waits until release() is called (a slow disk), so tests can act while writes are pending. */
  holdWrites?: boolean;
}

/**
 * A FAULT-INJECTING file system for BodySpool (not the real one): real files under the real temp dir,
 * with failures a healthy disk won't produce on demand. The real full-disk case is tested on a tmpfs.
 */
export class FaultInjectingSpoolFiles implements SpoolFiles {
  readonly dirs: string[] = [];
  readonly removed: string[] = [];
  /** Writes that were started (and, with holdWrites, are waiting). */
  writesStarted = 0;
  private held: (() => void)[] = [];

  constructor(private readonly faults: SpoolFaults = {}) {}

  async makeDir(): Promise<string> {
    if (this.faults.makeDirFails) throw Object.assign(new Error(`${this.faults.makeDirFails}: injected`), { code: this.faults.makeDirFails });
    const dir = await nodeSpoolFiles.makeDir();
    this.dirs.push(dir);
    return dir;
  }

  createWriteStream(path: string): Writable {
    let written = 0;
    const { diskBytes, holdWrites } = this.faults;
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.writesStarted++;
        const run = (): void => {
          if (diskBytes !== undefined && written + chunk.length > diskBytes) {
            const fits = chunk.subarray(0, diskBytes - written);
            written = diskBytes;
            // Like a real full disk: what fits is written, then the write fails.
            appendFile(path, fits, { mode: 0o600 }).then(
              () => callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
              callback,
            );
            return;
          }
          written += chunk.length;
          appendFile(path, chunk, { mode: 0o600 }).then(() => callback(), callback);
        };
        if (holdWrites) this.held.push(run);
        else run();
      },
    });
  }

  open(path: string) {
    return nodeSpoolFiles.open(path);
  }

  async removeDir(dir: string): Promise<void> {
    await nodeSpoolFiles.removeDir(dir);
    this.removed.push(dir);
  }

  /** Lets every held write go on (and later ones too). */
  release(): void {
    this.faults.holdWrites = false;
    const held = this.held;
    this.held = [];
    for (const run of held) run();
  }
}
