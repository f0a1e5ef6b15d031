// Carries out a service plan. Commands run only where the service manager is there to answer (a
// systemd user manager, launchctl, schtasks); otherwise they are returned for the user to run, so
// installing never fails on a machine without a running manager.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ServicePlan, ServicePlatform } from './service-plan.js';

const COMMAND_TIMEOUT_MS = 30_000;

export interface CommandResult {
  argv: string[];
  code: number;
  output: string;
}

export interface AppliedPlan {
  written: string[];
  removed: string[];
  ran: CommandResult[];
  /** Commands not run because the service manager is not running here: the user runs them. */
  toRun: string[][];
  failed?: CommandResult;
}

/** A systemd user manager answers on $XDG_RUNTIME_DIR/systemd/private; launchd and the Task Scheduler are always there. */
export function serviceManagerRunning(platform: ServicePlatform, env: NodeJS.ProcessEnv = process.env): boolean {
  if (platform !== 'linux') return true;
  const runtimeDir = env.XDG_RUNTIME_DIR;
  return Boolean(runtimeDir) && existsSync(join(runtimeDir!, 'systemd', 'private'));
}

/** Stops at the first command that fails (its output is in `ran`, `failed` is set) unless the step may fail. */
export async function applyPlan(plan: ServicePlan, managerRunning: boolean): Promise<AppliedPlan> {
  const applied: AppliedPlan = { written: [], removed: [], ran: [], toRun: [] };
  for (const step of plan.steps) {
    if (step.kind === 'write') {
      mkdirSync(dirname(step.path), { recursive: true });
      writeFileSync(step.path, step.content, { mode: 0o644 });
      applied.written.push(step.path);
    } else if (step.kind === 'remove') {
      if (existsSync(step.path)) applied.removed.push(step.path);
      rmSync(step.path, { force: true });
    } else if (!managerRunning) {
      applied.toRun.push(step.argv);
    } else {
      const result = await runCommand(step.argv);
      applied.ran.push(result);
      if (result.code !== 0 && !step.mayFail) {
        applied.failed = result;
        break;
      }
    }
  }
  return applied;
}

export function runCommand(argv: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, windowsHide: true }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      const output = `${stdout}${stderr}`.trim() || (error && typeof error.code === 'string' ? `${argv[0]}: ${error.code}` : '');
      resolve({ argv, code, output });
    });
  });
}
