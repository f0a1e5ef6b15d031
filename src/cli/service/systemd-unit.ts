// The systemd user unit (systemd.service(5), systemd.unit(5)): ~/.config/systemd/user/inboxguard.service.
import { join } from 'node:path';
import type { ServiceInvocation } from './invocation.js';

export const SYSTEMD_UNIT_NAME = 'inboxguard.service';

export function systemdUnitPath(home: string): string {
  return join(home, '.config', 'systemd', 'user', SYSTEMD_UNIT_NAME);
}

export function renderSystemdUnit(invocation: ServiceInvocation): string {
  return [
    '[Unit]',
    'Description=inboxguard: local IMAP/POP3 scanning proxy for your mail client',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${invocation.argv.map(quoteSystemdArgument).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/**
 * One word of ExecStart (systemd.service(5) "Command lines"): double-quoted when it has spaces or
 * quotes, with \ and " escaped; "%" is a specifier and "$" a variable in ExecStart, so both are doubled.
 */
export function quoteSystemdArgument(argument: string): string {
  const literal = argument.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (literal !== '' && !/[\s"'\\;]/.test(literal)) return literal;
  return `"${literal.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
