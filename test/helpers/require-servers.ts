// Integration tests need real programs (dovecot, curl, python3 ...). Locally a missing one skips
// the test with one loud line; under CI=true it is a failure, never a silent skip.
//
//   const skip = requireDovecot();            // string (skip reason) or false
//   test('imap fetch through the proxy', { skip }, async () => { ... });
import { existsSync } from 'node:fs';
import { findCommand } from '../../scripts/test-servers/find-command.js';
import { DOVECOT_PACKAGES } from '../../scripts/test-servers/dovecot.js';

const announced = new Set<string>();

function isCi(): boolean {
  return process.env.CI === 'true';
}

/** Fails under CI, otherwise announces the skip once on stderr and returns the reason. */
function missing(what: string, remedy: string): string {
  const reason = `${what} (${remedy})`;
  if (isCi()) throw new Error(`integration test prerequisite missing under CI=true: ${reason}`);
  if (!announced.has(reason)) {
    announced.add(reason);
    process.stderr.write(`SKIP integration: ${reason}\n`);
  }
  return reason;
}

/**
 * false when the binary is installed; otherwise a skip reason for node:test's `{ skip }`
 * (or, under CI=true, throws so the test file fails).
 */
export function requireCommand(name: string, debianPackages: string): string | false {
  if (findCommand(name)) return false;
  return missing(`${name} not installed`, `apt-get install ${debianPackages}`);
}

/** false when the file or directory exists (e.g. clamav-testfiles' samples); otherwise as requireCommand. */
export function requireFile(path: string, debianPackage: string): string | false {
  if (existsSync(path)) return false;
  return missing(`${path} missing`, `apt-get install ${debianPackage}`);
}

/** dovecot + doveadm installed and we are root (Dovecot drops to uid 65534 for mail). */
export function requireDovecot(): string | false {
  const absent = requireCommand('dovecot', DOVECOT_PACKAGES) || requireCommand('doveadm', 'dovecot-core');
  if (absent) return absent;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return missing('dovecot tests need root', 'run the integration tests as root, as CI does');
  }
  return false;
}

/** Every listed check; the first skip reason wins. Example: requireAll(requireDovecot(), requireCommand('curl', 'curl')) */
export function requireAll(...checks: Array<string | false>): string | false {
  return checks.find((c): c is string => typeof c === 'string') ?? false;
}
