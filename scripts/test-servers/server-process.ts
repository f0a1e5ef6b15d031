// One test server in the foreground, in its own process group so that it and its children can be
// killed together; output goes to a file in its temp dir; registered for cleanup when the test
// process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { killGroup, registerForCleanup, unregisterForCleanup } from './cleanup-on-exit.js';

export interface RunningServer {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<string>;
  hasExited(): boolean;
  /** SIGTERM the process group, wait up to graceMs, then SIGKILL the group. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnServer(binary: string, args: string[], outputPath: string, dir: string): RunningServer {
  const out = openSync(outputPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out] });
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
      // Waited for from here on: an unreferenced child's exit would not keep the event loop alive, and a
      // server that ignored SIGTERM (one signalled while it starts) exits only at the SIGKILL below.
      child.ref();
      // SIGTERM to the whole group: Dovecot's master alone waits about 1 s for its children, while
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

/** True when the module at moduleUrl is the script node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Script mode of a launcher: print what to connect to, keep running until Ctrl-C, then stop. */
export async function runUntilInterrupted(name: string, start: () => Promise<{ info: object; stop(): Promise<void> }>): Promise<void> {
  let server: { info: object; stop(): Promise<void> };
  try {
    server = await start();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify(server.info, null, 2)}\n`);
  process.stderr.write(`${name} is running; Ctrl-C stops it and removes its temp dir\n`);
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const shutdown = (): void => {
    clearInterval(keepAlive);
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stopping ${name} failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
