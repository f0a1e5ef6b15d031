// One inboxguard root CA and leaf key per test process, copied into each throwaway data dir that needs
// "a CA" (as scripts/test-servers/test-ca.ts pools the servers' keys): a 3072-bit root key costs about
// 0.7 s of CPU to generate (a 2048-bit leaf key 0.2 s), and tests that start many proxies or CLIs would
// otherwise spend much of their time on it. The copy is what `inboxguard ca init` and the first
// handshake would have written (the same files and modes); tests of creating a CA (cli.test.ts,
// test/unit/ca, idle-start-modules.test.ts) still create theirs.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCa } from '../../src/ca/index.js';
import { loadOrCreateLeafKey } from '../../src/ca/leaf-key.js';
import { caPaths } from '../../src/ca/paths.js';
import { ensurePrivateDir, writeFileAtomically, writePrivateFile } from '../../src/private-files.js';

let template: Promise<{ caCert: string; caKey: string; leafKey: string }> | undefined;

async function createTemplate() {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-test-ca-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  await initCa(dir);
  const paths = caPaths(dir);
  loadOrCreateLeafKey(paths.leafKey);
  return { caCert: readFileSync(paths.caCert, 'utf8'), caKey: readFileSync(paths.caKey, 'utf8'), leafKey: readFileSync(paths.leafKey, 'utf8') };
}

/** Puts this process's test CA (and leaf key) into `dataDir`/certs unless a CA is there already. */
export async function giveTestCa(dataDir: string): Promise<void> {
  template ??= createTemplate();
  const { caCert, caKey, leafKey } = await template;
  const paths = caPaths(dataDir);
  if (existsSync(paths.caCert) || existsSync(paths.caKey)) return;
  ensurePrivateDir(paths.certsDir);
  writePrivateFile(paths.caKey, caKey);
  writeFileAtomically(paths.caCert, caCert, 0o644);
  writePrivateFile(paths.leafKey, leafKey);
}
