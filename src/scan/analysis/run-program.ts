// Runs a program (argv, no shell) to its end, with bounded output, a timeout and an abort signal.
// The program gets its own process group, so that what it starts (a shell script's children) is
// killed with it: SIGTERM to the group, SIGKILL after a short grace.
import { spawn } from 'node:child_process';

export interface RunOptions {
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** Bytes kept of stdout and of stderr each; more on stdout ends the program (outcome 'output-limit'). */
  maxOutputBytes: number;
  signal?: AbortSignal;
}

export interface ProgramRun {
  outcome: 'exited' | 'timeout' | 'output-limit' | 'aborted' | 'spawn-failed';
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** For spawn-failed: why (e.g. ENOENT). */
  error?: string;
}

const groupKill = process.platform !== 'win32';

export function runProgram(argv: readonly string[], options: RunOptions): Promise<ProgramRun> {
  return new Promise((resolve) => {
    const [command, ...args] = argv;
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: groupKill, windowsHide: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let ending: ProgramRun['outcome'] | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const kill = (signal: NodeJS.Signals) => {
      try {
        if (groupKill && child.pid !== undefined) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    const stop = (why: ProgramRun['outcome']) => {
      if (ending !== undefined) return;
      ending = why;
      kill('SIGTERM');
      graceTimer = setTimeout(() => kill('SIGKILL'), options.killGraceMs);
    };

    const timeout = setTimeout(() => stop('timeout'), options.timeoutMs);
    const onAbort = () => stop('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop('aborted');

    child.stdout.on('data', (chunk: Buffer) => {
      if (stdoutBytes + chunk.length > options.maxOutputBytes) {
        stop('output-limit');
        return;
      }
      stdoutBytes += chunk.length;
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const room = options.maxOutputBytes - stderrBytes;
      if (room <= 0) return;
      stderrBytes += Math.min(room, chunk.length);
      stderr.push(chunk.subarray(0, room));
    });
    let settled = false;
    const finish = (run: ProgramRun) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(run);
    };
    child.on('error', (error) => {
      // Without a pid the program never started (ENOENT, EACCES); nothing else will be emitted for sure.
      if (child.pid === undefined) finish({ outcome: 'spawn-failed', code: null, signal: null, stdout: '', stderr: '', error: error.message });
    });
    // Once the program itself has ended, whatever it started and left behind goes too, so that the pipes close.
    child.on('exit', () => {
      if (groupKill && child.pid !== undefined) kill('SIGKILL');
    });
    // 'close' waits for the pipes too, so every byte is in.
    child.on('close', (code, signal) => {
      finish({
        outcome: ending ?? 'exited',
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}
