import { readdirSync, readFileSync } from 'node:fs';

/** CPU time a process has spent so far, all its threads (/proc/PID/task/*\/schedstat), in nanoseconds. */
export function cpuNanoseconds(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return total;
}
