// The Windows scheduled task run at logon (schtasks /Create /SC ONLOGON), as argv for execFile: no
// shell is involved, so only the /TR command line itself needs Windows quoting.
import type { ServiceInvocation } from './invocation.js';

export const WINDOWS_TASK_NAME = 'inboxguard';
/** schtasks rejects a /TR longer than this. */
const MAX_TASK_RUN_LENGTH = 261;

export function schtasksCreateArgs(invocation: ServiceInvocation): string[] {
  const run = invocation.argv.map(quoteWindowsArgument).join(' ');
  if (run.length > MAX_TASK_RUN_LENGTH) {
    throw new Error(`the command line (${run.length} characters) is longer than schtasks accepts (${MAX_TASK_RUN_LENGTH}); install inboxguard and its data dir under shorter paths`);
  }
  return ['/Create', '/TN', WINDOWS_TASK_NAME, '/TR', run, '/SC', 'ONLOGON', '/RL', 'LIMITED', '/F'];
}

export function schtasksDeleteArgs(): string[] {
  return ['/Delete', '/TN', WINDOWS_TASK_NAME, '/F'];
}

export function schtasksQueryArgs(): string[] {
  return ['/Query', '/TN', WINDOWS_TASK_NAME, '/FO', 'LIST'];
}

/** Quoting as CommandLineToArgvW reads it: quotes around words with spaces, backslashes before a quote doubled. */
export function quoteWindowsArgument(argument: string): string {
  if (argument !== '' && !/[\s"]/.test(argument)) return argument;
  return `"${argument.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}
