// One Dovecot master process in the foreground (`dovecot -c CONF -F`), in its own process group
// so that it and its children can be killed together. Output goes to a file in the temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { killGroup, registerForCleanup, unregisterForCleanup } from './cleanup-on-exit.js';

export interface RunningDovecot {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or signal name) once the master has exited. */
  exited: Promise<string>;
  hasExited(): boolean;
  /** SIGTERM the process group, wait up to graceMs for the master, then SIGKILL the group. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnDovecot(binary: string, configPath: string, outputPath: string, dir: string): RunningDovecot {
  const out = openSync(outputPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, ['-c', configPath, '-F'], { detached: true, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  // Do not keep the test process alive for a forgotten server; cleanup-on-exit kills it.
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
      // SIGTERM to the whole group: the master alone waits about 1 s for its children, while
      // master and children terminated together are gone in about 20 ms.
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
    // Reap any child the master left behind (it normally takes them down itself).
    killGroup(pid, 'SIGKILL');
    unregisterForCleanup(pid);
  };
  return { child, pid, exited, hasExited: () => done, stop };
}

/** The last lines of a text file, or a note that it does not exist. */
export function tailFile(path: string, lines = 30): string {
  if (!existsSync(path)) return `(${path} does not exist)`;
  const text = readFileSync(path, 'utf8').trimEnd();
  if (text === '') return `(${path} is empty)`;
  return text.split('\n').slice(-lines).join('\n');
}
