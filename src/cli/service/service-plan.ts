// What `inboxguard service install|uninstall|status` does on each platform, as data: files to write or
// remove and commands (argv, no shell) for the service manager. Pure, so every platform's plan is
// tested on any machine; apply-plan.ts carries it out.
import { launchdPlistPath, LAUNCHD_LABEL, renderLaunchdPlist } from './launchd-plist.js';
import type { ServiceInvocation } from './invocation.js';
import { renderSystemdUnit, SYSTEMD_UNIT_NAME, systemdUnitPath } from './systemd-unit.js';
import { schtasksCreateArgs, schtasksDeleteArgs, schtasksQueryArgs } from './windows-task.js';

export type ServicePlatform = 'linux' | 'darwin' | 'win32';

export type ServiceStep =
  | { kind: 'write'; path: string; content: string }
  | { kind: 'remove'; path: string }
  /** mayFail: the manager may not know the service (never loaded); going on is right. */
  | { kind: 'run'; argv: string[]; mayFail?: boolean };

export interface ServicePlan {
  manager: 'systemd' | 'launchd' | 'schtasks';
  /** The file that defines the service, if the platform has one. */
  file?: string;
  steps: ServiceStep[];
}

export interface PlanInput {
  platform: ServicePlatform;
  home: string;
  uid: number;
}

export function installPlan(input: PlanInput, invocation: ServiceInvocation): ServicePlan {
  switch (input.platform) {
    case 'linux': {
      const file = systemdUnitPath(input.home);
      return {
        manager: 'systemd',
        file,
        steps: [
          { kind: 'write', path: file, content: renderSystemdUnit(invocation) },
          { kind: 'run', argv: ['systemctl', '--user', 'daemon-reload'] },
          { kind: 'run', argv: ['systemctl', '--user', 'enable', '--now', SYSTEMD_UNIT_NAME] },
        ],
      };
    }
    case 'darwin': {
      const file = launchdPlistPath(input.home);
      return {
        manager: 'launchd',
        file,
        steps: [
          { kind: 'write', path: file, content: renderLaunchdPlist(invocation) },
          { kind: 'run', argv: ['launchctl', 'bootstrap', `gui/${input.uid}`, file] },
        ],
      };
    }
    case 'win32':
      return { manager: 'schtasks', steps: [{ kind: 'run', argv: ['schtasks', ...schtasksCreateArgs(invocation)] }] };
  }
}

export function uninstallPlan(input: PlanInput): ServicePlan {
  switch (input.platform) {
    case 'linux': {
      const file = systemdUnitPath(input.home);
      return {
        manager: 'systemd',
        file,
        steps: [
          { kind: 'run', argv: ['systemctl', '--user', 'disable', '--now', SYSTEMD_UNIT_NAME], mayFail: true },
          { kind: 'remove', path: file },
          { kind: 'run', argv: ['systemctl', '--user', 'daemon-reload'] },
        ],
      };
    }
    case 'darwin': {
      const file = launchdPlistPath(input.home);
      return {
        manager: 'launchd',
        file,
        steps: [
          { kind: 'run', argv: ['launchctl', 'bootout', `gui/${input.uid}/${LAUNCHD_LABEL}`], mayFail: true },
          { kind: 'remove', path: file },
        ],
      };
    }
    case 'win32':
      return { manager: 'schtasks', steps: [{ kind: 'run', argv: ['schtasks', ...schtasksDeleteArgs()] }] };
  }
}

/** The command that tells whether the service runs (its exit status and output are shown). */
export function statusCommand(input: PlanInput): string[] {
  switch (input.platform) {
    case 'linux':
      return ['systemctl', '--user', 'is-active', SYSTEMD_UNIT_NAME];
    case 'darwin':
      return ['launchctl', 'print', `gui/${input.uid}/${LAUNCHD_LABEL}`];
    case 'win32':
      return ['schtasks', ...schtasksQueryArgs()];
  }
}

export function servicePlatform(platform: NodeJS.Platform = process.platform): ServicePlatform | undefined {
  return platform === 'linux' || platform === 'darwin' || platform === 'win32' ? platform : undefined;
}
