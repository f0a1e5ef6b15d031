import type { RootIdentity } from './root-identity.js';

/** What `--only` names. On macOS `system` is the login keychain, on Windows the user's Root store. */
export const TARGET_KINDS = ['system', 'thunderbird', 'firefox', 'nssdb'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** Where the trust stores are looked for; tests point both at temporary directories. */
export interface TrustScope {
  /** The home directory searched for profiles and ~/.pki/nssdb (default: the user's). */
  home?: string;
  /** Filesystem prefix of the system store (default "/"). */
  root?: string;
  /** Targets to act on (default: every kind this platform has). */
  only?: readonly TargetKind[];
  /** For tests: the platform whose stores are used (default process.platform). */
  platform?: NodeJS.Platform;
}

/** The command that does the same for the system store as root, for the "needs root" line. */
export type RootHint = (verb: 'install' | 'uninstall') => string;

export type ActionState = 'installed' | 'replaced' | 'already-there' | 'removed' | 'not-there' | 'not-found' | 'failed';

/** One line of `ca install` / `ca uninstall`. */
export interface ActionLine {
  target: TargetKind;
  where: string;
  state: ActionState;
  detail?: string;
}

export type TrustState = 'trusted' | 'absent' | 'not-found' | 'error';

/** One line of `ca status` (and of the doctor's trust check). */
export interface StatusLine {
  target: string;
  where: string;
  state: TrustState;
  detail?: string;
}

/** One place a root can be trusted: an NSS database, the system store, a keychain. */
export interface TrustStore {
  kind: TargetKind;
  where: string;
  install(root: RootIdentity): Promise<ActionLine>;
  uninstall(root: RootIdentity): Promise<ActionLine>;
  status(root: RootIdentity): Promise<StatusLine>;
}
