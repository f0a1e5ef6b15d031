// Last-resort cleanup for throwaway servers: when the test process exits (normally, or by a
// signal nobody else handles) kill each registered server's process group and remove its
// temp dir, synchronously. Normal shutdown goes through the server's own stop().
import { rmSync } from 'node:fs';

interface Registered {
  pid: number;
  dir: string;
}

const live = new Map<number, Registered>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

/** Sends signal to the process group led by pid (spawned detached), falling back to pid. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function killAllSync(): void {
  for (const { pid, dir } of live.values()) {
    killGroup(pid, 'SIGKILL');
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllSync();
  // If we are the only listener, the process would otherwise ignore the signal: restore the
  // default action and re-raise it. Other listeners decide for themselves.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllSync);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

export function registerForCleanup(pid: number, dir: string): void {
  install();
  live.set(pid, { pid, dir });
}

export function unregisterForCleanup(pid: number): void {
  live.delete(pid);
}
