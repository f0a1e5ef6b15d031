import type { NssFormat } from './nss-locations.js';
import { lastLine, runCommand, type CommandResult } from './run-command.js';
import { pemBlocks, sha256OfPem } from './root-identity.js';

/**
 * The trust flags mkcert gives its root (`certutil -t C,,`): "C" in the SSL field makes it a CA
 * trusted to issue TLS server certificates; nothing for S/MIME or code signing.
 */
export const NSS_CA_TRUST = 'C,,';

export const CERTUTIL_MISSING = 'certutil not installed (Debian/Ubuntu: apt-get install libnss3-tools; Fedora: dnf install nss-tools; macOS: brew install nss)';

export interface NssNickname {
  nickname: string;
  /** As certutil -L prints it, e.g. "C,," or "CT,C,C". */
  trust: string;
}

/** A certificate under a nickname, with that nickname's trust flags. */
export interface NssCertificate extends NssNickname {
  sha256: string;
}

/** A failed certutil call: the reason for the target's line. */
export class CertutilError extends Error {}

/** An NSS certificate database (cert9.db) driven through NSS's certutil. */
export class NssDatabase {
  constructor(
    readonly dir: string,
    private readonly format: NssFormat = 'sql',
  ) {}

  /** Every nickname with its trust flags (`certutil -L`). */
  async nicknames(): Promise<NssNickname[]> {
    return parseCertutilList((await this.certutil(['-L'])).stdout);
  }

  /** The certificates stored under nickname (several when they share it); [] when there is none. */
  async certificates(nick: NssNickname): Promise<NssCertificate[]> {
    const result = await this.run(['-L', '-n', nick.nickname, '-a']);
    if (result.code !== 0) {
      if (/PR_FILE_NOT_FOUND_ERROR|SEC_ERROR_BAD_DATABASE|could not find cert/i.test(result.stderr)) return [];
      throw new CertutilError(lastLine(result));
    }
    return pemBlocks(result.stdout).map((pem) => ({ ...nick, sha256: sha256OfPem(pem) }));
  }

  async add(nickname: string, certPath: string, trust: string): Promise<void> {
    await this.certutil(['-A', '-n', nickname, '-t', trust, '-i', certPath]);
  }

  async setTrust(nickname: string, trust: string): Promise<void> {
    await this.certutil(['-M', '-n', nickname, '-t', trust]);
  }

  /** Deletes one certificate stored under nickname. */
  async delete(nickname: string): Promise<void> {
    await this.certutil(['-D', '-n', nickname]);
  }

  private async certutil(args: string[]): Promise<CommandResult> {
    const result = await this.run(args);
    if (result.code !== 0) throw new CertutilError(lastLine(result));
    return result;
  }

  private async run(args: string[]): Promise<CommandResult> {
    const result = await runCommand(['certutil', '-d', `${this.format}:${this.dir}`, ...args]);
    if (result.missing) throw new CertutilError(CERTUTIL_MISSING);
    return result;
  }
}

/** The rows of `certutil -L`: a nickname padded with spaces, then the three trust fields. */
export function parseCertutilList(text: string): NssNickname[] {
  const rows: NssNickname[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\S.*?)\s+([A-Za-z]*,[A-Za-z]*,[A-Za-z]*)\s*$/.exec(line);
    if (match?.[1] && match[2] !== undefined) rows.push({ nickname: match[1], trust: match[2] });
  }
  return rows;
}

/** Whether the flags make a CA trusted for TLS servers (the SSL field holds C). */
export function trustsTlsServers(trust: string): boolean {
  return (trust.split(',')[0] ?? '').includes('C');
}
