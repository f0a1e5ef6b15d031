import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { CaDescription, CaExportFormat } from '../ca/index.js';
import type { RootIdentity, TrustScope } from '../ca/trust/index.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';
import { registerCaTrustCommands, scopeOf, withHiddenScope, type ScopeFlags } from './ca-trust-commands.js';

export function registerCaCommands(program: Command): void {
  const ca = program.command('ca').description('the local root CA that signs the certificates mail clients see');

  withHiddenScope(ca.command('init'))
    .description('create the root CA (does nothing if one exists, unless --force)')
    .option('--force', 'replace an existing CA (mail clients must then trust the new one)')
    .action(async (options: ScopeFlags & { force?: boolean }, command: Command) => {
      const { dataDir } = cliContext(command);
      const { describeCa, initCa } = await import('../ca/index.js');
      const replaced = options.force ? await previousRoot(dataDir) : null;
      const result = await initCa(dataDir, { force: options.force });
      console.log(result.created ? 'Created a new root CA.' : 'A root CA already exists; nothing changed (use --force to replace it).');
      printDescription(describeCa(result.ca));
      if (replaced && result.created) await warnAboutInstalledCopies(replaced, scopeOf(options));
    });

  registerCaTrustCommands(ca);

  ca.command('show')
    .description('print the CA subject, fingerprint, validity and file paths')
    .action(async (_options: unknown, command: Command) => {
      const { describeCa } = await import('../ca/index.js');
      printDescription(describeCa(await requireCa(cliContext(command).dataDir)));
    });

  ca.command('export')
    .description('write the CA certificate for installing it in a mail client or trust store')
    .addOption(new Option('--format <format>', 'pem or der').choices(['pem', 'der']).default('pem'))
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (options: { format: CaExportFormat; out?: string }, command: Command) => {
      const { exportCa } = await import('../ca/index.js');
      const bytes = exportCa(await requireCa(cliContext(command).dataDir), options.format);
      if (!options.out) {
        if (options.format === 'der' && process.stdout.isTTY) throw new UserError('DER is binary; use --out FILE or redirect standard output');
        process.stdout.write(bytes);
        return;
      }
      writeFileSync(options.out, bytes);
      console.log(`Wrote the CA certificate (${options.format.toUpperCase()}) to ${options.out}`);
    });
}

async function requireCa(dataDir: string) {
  const { loadCa } = await import('../ca/index.js');
  const ca = loadCa(dataDir);
  if (!ca) throw new UserError(`no root CA in ${dataDir}; create one with: inboxguard ca init`);
  return ca;
}

/** The root about to be replaced by `ca init --force`, or null when there is none (or it is damaged). */
async function previousRoot(dataDir: string) {
  const { loadCa } = await import('../ca/index.js');
  const { rootIdentity } = await import('../ca/trust/index.js');
  try {
    const ca = loadCa(dataDir);
    return ca ? rootIdentity(ca) : null;
  } catch {
    return null;
  }
}

/** After a rotation: every store that trusted the old root must get the new one. */
async function warnAboutInstalledCopies(old: RootIdentity, scope: TrustScope): Promise<void> {
  const { trustStatus } = await import('../ca/trust/index.js');
  const trusted = (await trustStatus({ ...scope, ca: old })).filter((line) => line.state === 'trusted');
  console.error('Warning: mail clients and trust stores that trusted the old root CA will reject the new one until it is installed.');
  for (const line of trusted) console.error(`  the old root is trusted in ${line.target}: ${line.where}`);
  console.error('Run: inboxguard ca install (it replaces the old inboxguard root).');
}

function printDescription(description: CaDescription): void {
  console.log(`Subject:      ${description.subject}`);
  console.log(`SHA-256:      ${description.fingerprintSha256}`);
  console.log(`Valid from:   ${description.notBefore.toISOString()}`);
  console.log(`Valid until:  ${description.notAfter.toISOString()}`);
  console.log(`Certificate:  ${description.certPath}`);
  console.log(`Private key:  ${description.keyPath} (keep it private: mode 0600)`);
}
