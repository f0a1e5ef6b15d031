import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit code; null when the program could not be started or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program is not installed (ENOENT). */
  missing: boolean;
}

const TIMEOUT_MS = 30_000;

/**
 * Runs a trust-store tool without a shell. Standard input is closed, so a tool that would ask
 * for a password (an NSS database with a primary password) fails instead of waiting forever.
 */
export function runCommand(argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<CommandResult> {
  const [program, ...args] = argv;
  if (!program) throw new Error('runCommand needs a program');
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? TIMEOUT_MS });
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ code: null, stdout, stderr: stderr || error.message, missing: error.code === 'ENOENT' });
    });
    child.on('close', (code) => resolve({ code, stdout, stderr, missing: false }));
  });
}

/** The last non-empty line a tool printed, for a one-line failure reason. */
export function lastLine(result: CommandResult): string {
  const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.at(-1) ?? `exit code ${result.code}`;
}
