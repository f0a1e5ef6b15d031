// The `command` analysis backend (#14): runs a configured program (a sandbox CLI, a YARA run,
// clamdscan, …) on a 0600 temporary copy of the part, with `{file}` in its arguments replaced by the
// copy's absolute path. No shell: argv goes to the program as given. The answer is read as
// command-verdict.ts says (exit 0 clean, 1 malicious, 2 suspicious, else error; optional JSON on stdout).
// The program is killed at its timeout or when the caller aborts; the copy is removed in every case.
import { Semaphore } from '../semaphore.js';
import { verdictFromEnding } from './command-verdict.js';
import { writePrivateTempCopy, type PrivateTempCopy } from './private-temp-copy.js';
import { runProgram } from './run-program.js';
import type { AnalyseOptions, AnalysisBackend, AnalysisResult } from './types.js';

export const FILE_PLACEHOLDER = '{file}';

export interface CommandBackendOptions {
  /** The backend's name in results and events. */
  name: string;
  /** Program and arguments; at least one argument contains {file}. */
  argv: readonly string[];
  timeoutMs: number;
  /** Programs of this backend running at once; more wait their turn. */
  maxConcurrent: number;
  /** Between SIGTERM and SIGKILL; default 2000 ms. */
  killGraceMs?: number;
  /** stdout beyond this ends the program with an error; default 64 KiB. */
  maxOutputBytes?: number;
  /** Where the temporary directories go; default the OS temp dir. */
  tempDir?: string;
}

export class CommandBackendConfigError extends Error {}

export function createCommandBackend(options: CommandBackendOptions): AnalysisBackend & { readonly stats: Semaphore['stats'] } {
  const { name, argv, timeoutMs, maxConcurrent } = options;
  if (argv.length === 0 || argv[0] === '') throw new CommandBackendConfigError(`analysis backend ${name}: command is empty; give the program and its arguments`);
  if (!argv.slice(1).some((arg) => arg.includes(FILE_PLACEHOLDER))) {
    throw new CommandBackendConfigError(`analysis backend ${name}: no argument contains ${FILE_PLACEHOLDER}; add it where the program expects the file`);
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CommandBackendConfigError(`analysis backend ${name}: timeout must be positive, got ${timeoutMs}`);
  const slots = new Semaphore(maxConcurrent);
  const killGraceMs = options.killGraceMs ?? 2000;
  const maxOutputBytes = options.maxOutputBytes ?? 64 * 1024;

  async function analyse(content: Buffer, { name: partName, signal }: AnalyseOptions = {}): Promise<AnalysisResult> {
    const release = await slots.acquire(signal);
    try {
      signal?.throwIfAborted();
      let copy: PrivateTempCopy;
      try {
        copy = await writePrivateTempCopy(content, partName, options.tempDir);
      } catch (error) {
        return { verdict: 'error', backend: name, detail: `cannot write the temporary copy: ${(error as Error).message}` };
      }
      try {
        const run = await runProgram(
          argv.map((arg, index) => (index === 0 ? arg : arg.replaceAll(FILE_PLACEHOLDER, copy.path))),
          { timeoutMs, killGraceMs, maxOutputBytes, signal },
        );
        switch (run.outcome) {
          case 'aborted':
            throw signal?.reason ?? new Error('analysis aborted');
          case 'spawn-failed':
            return { verdict: 'error', backend: name, detail: `cannot run ${argv[0]}: ${run.error}` };
          case 'timeout':
            return { verdict: 'error', backend: name, detail: `no answer within ${timeoutMs} ms; killed` };
          case 'output-limit':
            return { verdict: 'error', backend: name, detail: `printed more than ${maxOutputBytes} bytes; killed` };
          case 'exited':
            return verdictFromEnding(name, run);
        }
      } finally {
        await copy.remove();
      }
    } finally {
      release();
    }
  }

  return {
    name,
    analyse,
    get stats() {
      return slots.stats;
    },
  };
}
