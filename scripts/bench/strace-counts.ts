// System calls a process (all its threads) makes while `work` runs, counted by `strace -c -f`.
import { spawn, spawnSync } from 'node:child_process';

export interface SyscallCounts {
  [syscall: string]: number;
}

/** Ends the bench with a one-line reason when strace is not installed. */
export function requireStrace(): void {
  if (spawnSync('strace', ['-V']).status === 0) return;
  console.error('bench: needs strace (Debian package strace)');
  process.exit(2);
}

/** Attaches strace -c -f to pid while work runs; resolves with calls per syscall. */
export async function straceCounts(pid: number, work: () => Promise<void>): Promise<SyscallCounts> {
  const strace = spawn('strace', ['-c', '-f', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  strace.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  // strace prints "Process N attached" for every thread once it has them all.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await work();
  const exited = new Promise((resolve) => strace.once('exit', resolve));
  strace.kill('SIGINT');
  await exited;
  const result: SyscallCounts = {};
  for (const line of output.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // % time, seconds, usecs/call, calls, [errors], syscall
    if (fields.length >= 5 && /^\d+\.\d+$/.test(fields[0]) && fields[fields.length - 1] !== 'total') result[fields[fields.length - 1]] = Number(fields[3]);
  }
  return result;
}
