import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE_DIR = fileURLToPath(new URL('../../src', import.meta.url));
const SOURCE_MAIN = join(SOURCE_DIR, 'cli', 'main.ts');
const BUILT_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/**
 * The built CLI when dist/ is newer than every source file (npm ci and npm run build make it), since it
 * starts in half the time; otherwise the source through tsx, so a test never runs stale code.
 */
const cliArgs: string[] = isBuildFresh() ? [BUILT_MAIN] : ['--import', 'tsx', SOURCE_MAIN];

function isBuildFresh(): boolean {
  let built: number;
  try {
    built = statSync(BUILT_MAIN).mtimeMs;
  } catch {
    return false;
  }
  const newest = (dir: string): number =>
    Math.max(...readdirSync(dir, { withFileTypes: true }).map((entry) => (entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs)));
  return newest(SOURCE_DIR) <= built;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the inboxguard CLI (built or from source, see cliArgs) with its own data dir; `env` adds to or (undefined) removes variables. */
export function runCli(args: string[], dataDir: string, timeoutMs = 30_000, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, dataDir, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`inboxguard ${args.join(' ')} did not finish; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The command line that runs the CLI, for wrappers such as a pseudo-terminal. */
export function cliCommandLine(args: string[]): string[] {
  return [process.execPath, ...cliArgs, ...args];
}

export function startCli(args: string[], dataDir: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const merged: NodeJS.ProcessEnv = { ...process.env, INBOXGUARD_HOME: dataDir, ...env };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return spawn(process.execPath, [...cliArgs, ...args], {
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A refused command: exit 2, exactly one line on stderr starting with "inboxguard:", no stack trace. */
export function assertRefused(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 2, `exit 2 expected, got ${result.code}; stdout: ${result.stdout} stderr: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected, got: ${result.stderr}`);
  assert.match(lines[0], /^inboxguard: /);
  assert.match(lines[0], pattern);
}
