// One clamd in the foreground (Foreground yes in its config), in its own process group, with its
// output in a file of the temp dir; registered for cleanup when the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { killGroup, registerForCleanup, unregisterForCleanup } from './cleanup-on-exit.js';

export interface RunningClamd {
  child: ChildProcess;
  pid: number;
  exited: Promise<string>;
  hasExited(): boolean;
  /** SIGTERM, wait up to graceMs, then SIGKILL. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnClamd(binary: string, configPath: string, outputPath: string, dir: string): RunningClamd {
  const out = openSync(outputPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, ['-c', configPath], { detached: true, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  child.unref();
  let done = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(signal ?? String(code));
    });
    child.once('error', (err) => {
      done = true;
      resolve(`spawn error: ${err.message}`);
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${binary}`);
  registerForCleanup(pid, dir);

  const stop = async (graceMs = 5000): Promise<void> => {
    if (!done) {
      killGroup(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) killGroup(pid, 'SIGKILL');
      await exited;
    }
    unregisterForCleanup(pid);
  };
  return { child, pid, exited, hasExited: () => done, stop };
}
