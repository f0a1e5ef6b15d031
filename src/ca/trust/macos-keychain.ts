import { join } from 'node:path';
import { lastLine, runCommand } from './run-command.js';
import { plainHex, type RootIdentity } from './root-identity.js';
import type { ActionLine, StatusLine, TrustStore } from './types.js';

// macOS: the user's login keychain, with a user trust setting "trust as root for SSL". Built as
// argv so the unit tests check them; they cannot run on Linux, so this store is untested here.

export function loginKeychain(home: string): string {
  return join(home, 'Library', 'Keychains', 'login.keychain-db');
}

export const macosArgv = {
  /** Adds the certificate to the keychain and trusts it as a root for SSL (macOS asks for the user's password). */
  install: (root: RootIdentity, keychain: string) => ['security', 'add-trusted-cert', '-r', 'trustRoot', '-p', 'ssl', '-k', keychain, root.certPath],
  /** Every certificate whose name contains our nickname, with its SHA-256 and SHA-1 hashes (-Z). */
  find: (root: RootIdentity, keychain: string) => ['security', 'find-certificate', '-a', '-Z', '-c', root.nickname, keychain],
  /** Whether the system evaluates the root as trusted for SSL. */
  verify: (root: RootIdentity) => ['security', 'verify-cert', '-c', root.certPath, '-p', 'ssl', '-L'],
  /** Deletes exactly the certificate with our SHA-1 from the keychain, and its trust settings (-t). */
  uninstall: (root: RootIdentity, keychain: string) => ['security', 'delete-certificate', '-t', '-Z', root.sha1, keychain],
};

/** SHA-256 hashes printed by `security find-certificate -Z` ("SHA-256 hash: AB12…"). */
export function parseFindCertificateHashes(output: string): string[] {
  return [...output.matchAll(/SHA-256 hash:\s*([0-9A-Fa-f]{64})/g)].map((match) => plainHex(match[1] ?? ''));
}

export class MacosKeychainStore implements TrustStore {
  readonly kind = 'system' as const;
  readonly where: string;

  constructor(home: string) {
    this.where = loginKeychain(home);
  }

  async install(root: RootIdentity): Promise<ActionLine> {
    if ((await this.present(root)) && (await this.trusted(root))) return this.line('already-there');
    const result = await runCommand(macosArgv.install(root, this.where), { timeoutMs: 120_000 });
    return result.code === 0 ? this.line('installed') : this.line('failed', lastLine(result));
  }

  async uninstall(root: RootIdentity): Promise<ActionLine> {
    if (!(await this.present(root))) return this.line('not-there');
    const result = await runCommand(macosArgv.uninstall(root, this.where), { timeoutMs: 120_000 });
    return result.code === 0 ? this.line('removed') : this.line('failed', lastLine(result));
  }

  async status(root: RootIdentity): Promise<StatusLine> {
    const base = { target: this.kind, where: this.where };
    if (!(await this.present(root))) return { ...base, state: 'absent' };
    return (await this.trusted(root)) ? { ...base, state: 'trusted' } : { ...base, state: 'absent', detail: 'in the keychain but not trusted for SSL' };
  }

  private async present(root: RootIdentity): Promise<boolean> {
    const result = await runCommand(macosArgv.find(root, this.where));
    return result.code === 0 && parseFindCertificateHashes(result.stdout).includes(root.sha256);
  }

  private async trusted(root: RootIdentity): Promise<boolean> {
    return (await runCommand(macosArgv.verify(root))).code === 0;
  }

  private line(state: ActionLine['state'], detail?: string): ActionLine {
    return { target: this.kind, where: this.where, state, ...(detail ? { detail } : {}) };
  }
}
