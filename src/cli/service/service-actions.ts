// `inboxguard service install|uninstall|status`: builds the platform's plan, applies it and says what
// happened, or what to run where the service manager is not running (a container, an SSH session).
import { existsSync } from 'node:fs';
import { readConfigOrDefaults } from '../../config/store.js';
import { logFilePath } from '../../store/log.js';
import { UserError } from '../../user-error.js';
import type { CliContext } from '../context.js';
import { applyPlan, runCommand, serviceManagerRunning, type AppliedPlan } from './apply-plan.js';
import { serviceInvocation } from './invocation.js';
import { installPlan, servicePlatform, statusCommand, uninstallPlan, type PlanInput, type ServicePlan } from './service-plan.js';

export interface ServiceContext extends CliContext {
  home: string;
  /** The --config option when given: the service passes it on. */
  explicitConfig?: string;
}

const MANAGER_NAMES = { systemd: 'systemd user unit', launchd: 'launchd agent', schtasks: 'scheduled task "inboxguard" (at logon)' } as const;

function planInput(context: ServiceContext): PlanInput {
  const platform = servicePlatform();
  if (!platform) throw new UserError(`a service cannot be installed on ${process.platform}; run inboxguard start from your session's autostart instead`);
  return { platform, home: context.home, uid: process.getuid?.() ?? 0 };
}

export async function installService(context: ServiceContext): Promise<void> {
  const input = planInput(context);
  let plan: ServicePlan;
  try {
    plan = installPlan(input, serviceInvocation({ dataDir: context.dataDir, configPath: context.explicitConfig }));
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  if (readConfigOrDefaults(context.configPath).listeners.length === 0) {
    console.log(`Note: ${context.configPath} has no listeners yet; the service starts once you add one (inboxguard listeners add ...) and restart it.`);
  }
  const applied = await applyPlan(plan, serviceManagerRunning(input.platform));
  console.log(`Installed the ${MANAGER_NAMES[plan.manager]}${plan.file ? `: ${plan.file}` : ''} (starts inboxguard at login, restarts it after a failure).`);
  report(applied, 'to start it now');
  console.log(`Log: ${logFilePath(context.dataDir)} (inboxguard logs -f)`);
}

export async function uninstallService(context: ServiceContext): Promise<void> {
  const input = planInput(context);
  const plan = uninstallPlan(input);
  const applied = await applyPlan(plan, serviceManagerRunning(input.platform));
  if (plan.file) console.log(applied.removed.length > 0 ? `Removed ${plan.file}.` : `${plan.file} was not installed; nothing removed.`);
  report(applied, 'to stop the running service');
  if (!plan.file) console.log(`Removed the ${MANAGER_NAMES[plan.manager]}.`);
}

export async function showServiceStatus(context: ServiceContext): Promise<void> {
  const input = planInput(context);
  const plan = uninstallPlan(input);
  if (plan.file) console.log(`${MANAGER_NAMES[plan.manager]}: ${plan.file} ${existsSync(plan.file) ? 'is installed' : 'is not installed'}`);
  if (!serviceManagerRunning(input.platform)) {
    console.log(`state: unknown, systemd does not run for your user here (no ${process.env.XDG_RUNTIME_DIR ? `${process.env.XDG_RUNTIME_DIR}/systemd/private` : '$XDG_RUNTIME_DIR'})`);
    return;
  }
  const result = await runCommand(statusCommand(input));
  console.log(`state (${result.argv.join(' ')}): ${result.output.split('\n')[0] || `exit ${result.code}`}`);
}

function report(applied: AppliedPlan, purpose: string): void {
  for (const result of applied.ran) console.log(`ran: ${result.argv.join(' ')}${result.code === 0 ? '' : ` (exit ${result.code}: ${result.output})`}`);
  if (applied.failed) throw new UserError(`${applied.failed.argv.join(' ')} failed: ${applied.failed.output.split('\n')[0] || `exit ${applied.failed.code}`}`, 1);
  if (applied.toRun.length > 0) {
    console.log(`The service manager does not run for your user here; ${purpose}, run in your desktop session:`);
    for (const argv of applied.toRun) console.log(`  ${argv.join(' ')}`);
  }
}
