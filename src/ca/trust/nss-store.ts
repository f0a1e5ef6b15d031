import { CertutilError, NSS_CA_TRUST, NssDatabase, trustsTlsServers, type NssCertificate } from './nss-database.js';
import type { NssFormat } from './nss-locations.js';
import { shortFingerprint, type RootIdentity } from './root-identity.js';
import type { ActionLine, StatusLine, TargetKind, TrustStore } from './types.js';

/** certutil's complaint when setting trust needs the database's password (standard input is closed). */
const PASSWORD_REFUSED = /SEC_ERROR_BAD_PASSWORD|could not authenticate to token/;

/** Most certificates `ca install` deletes under our nickname before it gives up. */
const MAX_REPLACED = 10;

/**
 * Our root in one NSS database (a Thunderbird or Firefox profile, ~/.pki/nssdb). Added under
 * ROOT_NICKNAME with NSS_CA_TRUST; only a certificate under that nickname AND with the current
 * root's fingerprint is ever removed.
 */
export class NssStore implements TrustStore {
  private readonly db: NssDatabase;

  constructor(
    readonly kind: TargetKind,
    readonly where: string,
    format: NssFormat,
    /** Thunderbird, Firefox…: told to restart, since they read the database at start. */
    private readonly application?: string,
  ) {
    this.db = new NssDatabase(where, format);
  }

  install(root: RootIdentity): Promise<ActionLine> {
    return this.guard(async () => {
      const ours = await this.ours(root);
      const current = ours.filter((cert) => cert.sha256 === root.sha256);
      const older = ours.filter((cert) => cert.sha256 !== root.sha256);
      if (current.length > 0 && older.length === 0) {
        if (current.every((cert) => trustsTlsServers(cert.trust))) return this.line('already-there');
        await this.db.setTrust(root.nickname, NSS_CA_TRUST);
        return this.line('installed', details(`trust set to ${NSS_CA_TRUST}`, this.restartNote()));
      }
      // An older inboxguard root (or a mix) under our nickname: clear the nickname, then add.
      for (let i = 0; i < MAX_REPLACED && (await this.ours(root)).length > 0; i++) await this.db.delete(root.nickname);
      try {
        await this.db.add(root.nickname, root.certPath, NSS_CA_TRUST);
      } catch (error) {
        if (!(error instanceof CertutilError && PASSWORD_REFUSED.test(error.message))) throw error;
        // certutil stores the certificate before it asks to log in for the trust flags: take the untrusted copy out again.
        if ((await this.ours(root)).length > 0) await this.db.delete(root.nickname);
        return this.line('failed', 'the database has a primary password, so certutil cannot set trust without it; import the certificate in the application (see README) or remove the password');
      }
      const added = (await this.ours(root)).some((cert) => cert.sha256 === root.sha256);
      if (!added) {
        // certutil -A succeeds without adding when the certificate is already there under another name.
        const elsewhere = await this.elsewhere(root);
        if (elsewhere && trustsTlsServers(elsewhere.trust)) return this.line('already-there', `as "${elsewhere.nickname}"`);
        if (elsewhere) return this.line('failed', `the root is already in this database as "${elsewhere.nickname}" with trust ${elsewhere.trust}; left as it is`);
        return this.line('failed', 'certutil reported success but the root is not in the database');
      }
      const replaced = older.map((cert) => shortFingerprint(cert.sha256)).join(', ');
      return older.length > 0
        ? this.line('replaced', details(`older inboxguard root ${replaced} removed`, this.restartNote()))
        : this.line('installed', this.restartNote());
    });
  }

  uninstall(root: RootIdentity): Promise<ActionLine> {
    return this.guard(async () => {
      const ours = await this.ours(root);
      const current = ours.filter((cert) => cert.sha256 === root.sha256);
      const others = ours.filter((cert) => cert.sha256 !== root.sha256);
      if (current.length === 0) {
        const note = others.length > 0 ? `an older inboxguard root (${shortFingerprint(others[0]!.sha256)}) is there; \`ca install\` replaces it` : undefined;
        return this.line('not-there', note);
      }
      if (others.length > 0) return this.line('failed', `other certificates share the nickname "${root.nickname}"; remove ours by hand with certutil -D`);
      for (let i = 0; i < current.length; i++) await this.db.delete(root.nickname);
      const left = await this.ours(root);
      if (left.some((cert) => cert.sha256 === root.sha256)) return this.line('failed', 'certutil -D left the root in the database');
      return this.line('removed', this.restartNote());
    });
  }

  async status(root: RootIdentity): Promise<StatusLine> {
    try {
      const ours = await this.ours(root);
      const found = ours.find((cert) => cert.sha256 === root.sha256) ?? (await this.elsewhere(root));
      if (!found) {
        const older = ours[0] ? `an older inboxguard root (${shortFingerprint(ours[0].sha256)}) is there; \`ca install\` replaces it` : undefined;
        return { target: this.kind, where: this.where, state: 'absent', ...(older ? { detail: older } : {}) };
      }
      if (!trustsTlsServers(found.trust)) {
        return { target: this.kind, where: this.where, state: 'absent', detail: `present as "${found.nickname}" but not trusted for TLS servers (trust ${found.trust})` };
      }
      const detail = found.nickname === root.nickname ? undefined : `as "${found.nickname}"`;
      return { target: this.kind, where: this.where, state: 'trusted', ...(detail ? { detail } : {}) };
    } catch (error) {
      return { target: this.kind, where: this.where, state: 'error', detail: reason(error) };
    }
  }

  /** The certificates under our nickname. */
  private async ours(root: RootIdentity): Promise<NssCertificate[]> {
    const nick = (await this.db.nicknames()).find((row) => row.nickname === root.nickname);
    return nick ? this.db.certificates(nick) : [];
  }

  /** The root stored under some other nickname (imported by hand, say). */
  private async elsewhere(root: RootIdentity): Promise<NssCertificate | undefined> {
    for (const nick of await this.db.nicknames()) {
      if (nick.nickname === root.nickname) continue;
      const match = (await this.db.certificates(nick)).find((cert) => cert.sha256 === root.sha256);
      if (match) return match;
    }
    return undefined;
  }

  private async guard(action: () => Promise<ActionLine>): Promise<ActionLine> {
    try {
      return await action();
    } catch (error) {
      return this.line('failed', reason(error));
    }
  }

  private line(state: ActionLine['state'], detail?: string): ActionLine {
    return { target: this.kind, where: this.where, state, ...(detail ? { detail } : {}) };
  }

  private restartNote(): string | undefined {
    return this.application ? `restart ${this.application} if it is running` : undefined;
  }
}

function details(...parts: Array<string | undefined>): string | undefined {
  return parts.filter(Boolean).join('; ') || undefined;
}

function reason(error: unknown): string {
  if (error instanceof CertutilError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
