import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the inboxguard CLI from source (no build needed) with its own data dir. */
export function runCli(args: string[], dataDir: string, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, dataDir);
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

export function startCli(args: string[], dataDir: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, INBOXGUARD_HOME: dataDir },
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
