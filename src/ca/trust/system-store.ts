import { accessSync, constants, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { lastLine, runCommand } from './run-command.js';
import { pemBlocks, sha256OfPem, shortFingerprint, type RootIdentity } from './root-identity.js';
import type { ActionLine, RootHint, StatusLine, TrustStore } from './types.js';

const ANCHOR_NAME = 'inboxguard-root-ca';

/** How one Linux family keeps locally added roots: a directory of anchors and a tool that rebuilds the bundle. */
export interface SystemFlavour {
  name: 'debian' | 'fedora' | 'arch';
  /** Absolute, inside the root prefix. */
  anchorFile: string;
  /** The bundle TLS clients read (to check that the updater took our file in). */
  bundle: string;
  /** Rebuilds the bundle after an anchor was added (removed = true after one was taken away). */
  updateArgv(removed: boolean): string[] | { unsupported: string };
}

/**
 * Finds the system store under root ("/" normally; tests pass a temporary tree). Order as
 * mkcert checks: Fedora/RHEL's ca-trust, Debian/Ubuntu's ca-certificates, Arch's trust-source.
 */
export function detectSystemFlavour(root: string): SystemFlavour | null {
  const at = (path: string) => join(root, ...path.split('/').filter(Boolean));
  const prefixed = root !== '/' && root !== '';
  if (existsSync(at('/etc/pki/ca-trust/source/anchors'))) {
    return p11KitFlavour('fedora', at(`/etc/pki/ca-trust/source/anchors/${ANCHOR_NAME}.pem`), at('/etc/pki/tls/certs/ca-bundle.crt'), prefixed);
  }
  if (existsSync(at('/usr/local/share/ca-certificates'))) {
    return {
      name: 'debian',
      anchorFile: at(`/usr/local/share/ca-certificates/${ANCHOR_NAME}.crt`),
      bundle: at('/etc/ssl/certs/ca-certificates.crt'),
      updateArgv: (removed) => debianUpdateArgv(prefixed ? root : null, removed),
    };
  }
  if (existsSync(at('/etc/ca-certificates/trust-source/anchors'))) {
    return p11KitFlavour('arch', at(`/etc/ca-certificates/trust-source/anchors/${ANCHOR_NAME}.crt`), at('/etc/ssl/certs/ca-certificates.crt'), prefixed);
  }
  return null;
}

/**
 * Debian's update-ca-certificates, with every directory moved under the prefix when there is one.
 * After a removal --fresh drops the stale symlink in /etc/ssl/certs too (the bundle is rebuilt either way).
 */
export function debianUpdateArgv(prefix: string | null, removed: boolean): string[] {
  const argv = ['update-ca-certificates'];
  if (removed) argv.push('--fresh');
  if (prefix) {
    const at = (path: string) => join(prefix, ...path.split('/').filter(Boolean));
    argv.push(
      '--certsconf', at('/etc/ca-certificates.conf'),
      '--certsdir', at('/usr/share/ca-certificates'),
      '--localcertsdir', at('/usr/local/share/ca-certificates'),
      '--etccertsdir', at('/etc/ssl/certs'),
      '--hooksdir', at('/etc/ca-certificates/update.d'),
    );
  }
  return argv;
}

/**
 * Fedora/RHEL and Arch: an anchor file plus `update-ca-trust extract` (p11-kit). Chosen over
 * `trust anchor --store`, which files the root under a name p11-kit picks, so uninstall could not
 * tell our file from others. update-ca-trust has no root prefix, so a prefixed tree is refused.
 */
function p11KitFlavour(name: 'fedora' | 'arch', anchorFile: string, bundle: string, prefixed: boolean): SystemFlavour {
  return {
    name,
    anchorFile,
    bundle,
    updateArgv: () => (prefixed ? { unsupported: 'update-ca-trust cannot work under a root prefix' } : ['update-ca-trust', 'extract']),
  };
}

/** The system store of a Linux machine: our anchor file plus the distribution's updater. */
export class SystemStore implements TrustStore {
  readonly kind = 'system' as const;
  readonly where: string;

  constructor(
    private readonly flavour: SystemFlavour,
    private readonly asRootHint: RootHint,
  ) {
    this.where = flavour.anchorFile;
  }

  install(root: RootIdentity): Promise<ActionLine> {
    return this.guard(() => this.installAnchor(root));
  }

  uninstall(root: RootIdentity): Promise<ActionLine> {
    return this.guard(() => this.uninstallAnchor(root));
  }

  private async installAnchor(root: RootIdentity): Promise<ActionLine> {
    const present = this.anchorFingerprint();
    if (present === root.sha256 && this.bundleHas(root)) return this.line('already-there');
    const denied = this.needsRoot('install');
    if (denied) return denied;
    try {
      writeFileSync(this.where, root.certPem, { mode: 0o644 });
    } catch (error) {
      return this.line('failed', `cannot write ${this.where}: ${message(error)}`);
    }
    const updated = await this.update(false);
    if (updated) return updated;
    if (!this.bundleHas(root)) return this.line('failed', `the updater ran but ${this.flavour.bundle} does not hold the root`);
    if (present && present !== root.sha256) return this.line('replaced', `older inboxguard root ${shortFingerprint(present)} replaced`);
    return this.line('installed');
  }

  private async uninstallAnchor(root: RootIdentity): Promise<ActionLine> {
    const present = this.anchorFingerprint();
    if (present !== root.sha256) {
      return this.line('not-there', present ? `an older inboxguard root (${shortFingerprint(present)}) is there; \`ca install\` replaces it` : undefined);
    }
    const denied = this.needsRoot('uninstall');
    if (denied) return denied;
    try {
      rmSync(this.where);
    } catch (error) {
      return this.line('failed', `cannot remove ${this.where}: ${message(error)}`);
    }
    const updated = await this.update(true);
    if (updated) return updated;
    this.emptyBundleLeftBehind(root);
    if (this.bundleHas(root)) return this.line('failed', `the updater ran but ${this.flavour.bundle} still holds the root`);
    return this.line('removed');
  }

  async status(root: RootIdentity): Promise<StatusLine> {
    const line = (state: StatusLine['state'], detail?: string): StatusLine => ({ target: this.kind, where: this.where, state, ...(detail ? { detail } : {}) });
    let present: string | null;
    try {
      present = this.anchorFingerprint();
    } catch (error) {
      return line('error', message(error));
    }
    const inBundle = this.bundleHas(root);
    if (present === root.sha256) return inBundle ? line('trusted') : line('error', `placed but missing from ${this.flavour.bundle}; run ${this.updaterName()}`);
    if (inBundle) return line('trusted', `in ${this.flavour.bundle}, added by other means`);
    return line('absent', present ? `an older inboxguard root (${shortFingerprint(present)}) is there; \`ca install\` replaces it` : undefined);
  }

  /** SHA-256 of the anchor file we own, or null when there is none. */
  private anchorFingerprint(): string | null {
    if (!existsSync(this.where)) return null;
    return sha256OfPem(readFileSync(this.where, 'utf8'));
  }

  private bundleHas(root: RootIdentity): boolean {
    if (!existsSync(this.flavour.bundle)) return false;
    const base64 = root.der.toString('base64');
    return readFileSync(this.flavour.bundle, 'utf8').replace(/\s+/g, '').includes(base64);
  }

  /**
   * update-ca-certificates rebuilds the bundle only from the certificates that remain; when none
   * remains it leaves the old bundle in place, our root included. Empty it as the tool would have.
   */
  private emptyBundleLeftBehind(root: RootIdentity): void {
    if (this.flavour.name !== 'debian' || !existsSync(this.flavour.bundle)) return;
    const blocks = pemBlocks(readFileSync(this.flavour.bundle, 'utf8'));
    if (blocks.length > 0 && blocks.every((pem) => sha256OfPem(pem) === root.sha256)) writeFileSync(this.flavour.bundle, '');
  }

  /** A "needs root" line when the anchor directory is not writable for us. */
  private needsRoot(verb: 'install' | 'uninstall'): ActionLine | null {
    try {
      accessSync(dirname(this.where), constants.W_OK);
      return null;
    } catch {
      return this.line('failed', `needs root: run ${this.asRootHint(verb)}`);
    }
  }

  /** Runs the updater; a failure line, or null when it worked. */
  private async update(removed: boolean): Promise<ActionLine | null> {
    const argv = this.flavour.updateArgv(removed);
    if (!Array.isArray(argv)) return this.line('failed', argv.unsupported);
    const result = await runCommand(argv);
    if (result.missing) return this.line('failed', `${argv[0]} not installed`);
    if (result.code !== 0) return this.line('failed', `${argv.join(' ')}: ${lastLine(result)}`);
    return null;
  }

  private async guard(action: () => Promise<ActionLine>): Promise<ActionLine> {
    try {
      return await action();
    } catch (error) {
      return this.line('failed', message(error));
    }
  }

  private updaterName(): string {
    return this.flavour.name === 'debian' ? 'update-ca-certificates' : 'update-ca-trust extract';
  }

  private line(state: ActionLine['state'], detail?: string): ActionLine {
    return { target: this.kind, where: this.where, state, ...(detail ? { detail } : {}) };
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
