// The log file's destination: lines are gathered and written together (one write for a session's
// lines instead of one per line), at most `delayMs` after the first of them, at once when `maxBytes`
// are waiting or a line is a warning or worse, and always before the process exits — a clean stop, a
// process.exit, or a thrown error that ends it (Node emits 'exit' for those). Only a SIGKILL can cost
// the info and debug lines of the last `delayMs`.
import { closeSync, openSync, writeSync } from 'node:fs';

export interface BatchedLogFileOptions {
  /** Longest time a line waits in memory (default 100 ms). */
  delayMs?: number;
  /** Written at once when this many bytes wait (default 16 KiB). */
  maxBytes?: number;
}

const WARN = 40;
/** pino's multistream tells a destination that carries this symbol the level of each line (lastLevel). */
const PINO_METADATA = Symbol.for('pino.metadata');

const open = new Set<BatchedLogFile>();
let exitHookInstalled = false;

export class BatchedLogFile {
  readonly [PINO_METADATA] = true;
  /** Set by pino's multistream before each write. */
  lastLevel = 0;
  /** How many write(2) calls the file got (tests count them). */
  fileWrites = 0;
  private readonly fd: number;
  private waiting: string[] = [];
  private waitingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly delayMs: number;
  private readonly maxBytes: number;

  constructor(path: string, options: BatchedLogFileOptions = {}) {
    this.fd = openSync(path, 'a', 0o600);
    this.delayMs = options.delayMs ?? 100;
    this.maxBytes = options.maxBytes ?? 16 * 1024;
    open.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const file of open) file.flushSync();
      });
    }
  }

  write(line: string): boolean {
    this.waiting.push(line);
    this.waitingBytes += line.length;
    if (this.lastLevel >= WARN || this.waitingBytes >= this.maxBytes) this.flushSync();
    else this.timer ??= setTimeout(() => this.flushSync(), this.delayMs).unref();
    return true;
  }

  flushSync(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.waiting.length === 0) return;
    const bytes = Buffer.from(this.waiting.length === 1 ? this.waiting[0]! : this.waiting.join(''), 'utf8');
    this.waiting = [];
    this.waitingBytes = 0;
    for (let written = 0; written < bytes.length; ) {
      written += writeSync(this.fd, bytes, written);
      this.fileWrites++;
    }
  }

  /** pino's logger.flush(cb) lands here: everything waiting is in the file when cb runs. */
  flush(cb?: (error?: Error) => void): void {
    try {
      this.flushSync();
    } catch (error) {
      cb?.(error as Error);
      return;
    }
    cb?.();
  }

  end(): void {
    if (!open.delete(this)) return;
    this.flushSync();
    closeSync(this.fd);
  }
}
