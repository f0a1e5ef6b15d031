import { lastLine, runCommand } from './run-command.js';
import type { RootIdentity } from './root-identity.js';
import type { ActionLine, StatusLine, TrustStore } from './types.js';

// Windows: the current user's Trusted Root store (no administrator needed; Windows asks the user to
// confirm). Firefox and Thunderbird read it when security.enterprise_roots.enabled is true (Firefox's
// default since 120). Their NSS databases are not touched here: Windows' own certutil.exe shadows NSS's.
// Built as argv so the unit tests check them; they cannot run on Linux, so this store is untested here.

export const WINDOWS_STORE = 'Root (current user)';

export const windowsArgv = {
  install: (root: RootIdentity) => ['certutil', '-user', '-addstore', 'Root', root.certPath],
  /** Lists the certificate with our SHA-1 thumbprint; exit 0 only when it is there. */
  find: (root: RootIdentity) => ['certutil', '-user', '-store', 'Root', root.sha1],
  /** Deletes exactly the certificate with our SHA-1 thumbprint. */
  uninstall: (root: RootIdentity) => ['certutil', '-user', '-delstore', 'Root', root.sha1],
};

export class WindowsRootStore implements TrustStore {
  readonly kind = 'system' as const;
  readonly where = WINDOWS_STORE;

  async install(root: RootIdentity): Promise<ActionLine> {
    if (await this.present(root)) return this.line('already-there');
    const result = await runCommand(windowsArgv.install(root), { timeoutMs: 120_000 });
    return result.code === 0 ? this.line('installed') : this.line('failed', lastLine(result));
  }

  async uninstall(root: RootIdentity): Promise<ActionLine> {
    if (!(await this.present(root))) return this.line('not-there');
    const result = await runCommand(windowsArgv.uninstall(root), { timeoutMs: 120_000 });
    return result.code === 0 ? this.line('removed') : this.line('failed', lastLine(result));
  }

  async status(root: RootIdentity): Promise<StatusLine> {
    return { target: this.kind, where: this.where, state: (await this.present(root)) ? 'trusted' : 'absent' };
  }

  /** By thumbprint, and with our nickname in the listing (the subject's CN), so a foreign certificate never counts. */
  private async present(root: RootIdentity): Promise<boolean> {
    const result = await runCommand(windowsArgv.find(root));
    return result.code === 0 && result.stdout.includes(root.nickname);
  }

  private line(state: ActionLine['state'], detail?: string): ActionLine {
    return { target: this.kind, where: this.where, state, ...(detail ? { detail } : {}) };
  }
}
