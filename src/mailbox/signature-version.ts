// What "scanned with the current signatures" means for the mailbox scan: a digest of the engines in
// use, every file in the builtin engine's signature directories (shipped, <data-dir>/signatures,
// scan.signatureDirs: names and contents) and clamd's VERSION line (engine, daily database version and
// date). Any change to one of them makes every message due again.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { userSignatureDir } from '../scan/create-inspector.js';
import { parseClamdAddress } from '../scan/engines/clamd/index.js';
import { shippedSignatureDir } from '../scan/engines/builtin/index.js';
import { createClamdEngine, describeAddress } from '../scan/engines/clamd/index.js';
import type { EngineName } from '../types/verdict.js';
import { UserError } from '../user-error.js';

export interface SignatureVersion {
  /** 16 hex digits. */
  version: string;
  /** e.g. "builtin: 3 files; clamd: ClamAV 1.4.3/0/…". */
  description: string;
}

export async function signatureVersion(config: Config, dataDir: string, engineNames: readonly EngineName[]): Promise<SignatureVersion> {
  const digest = createHash('sha256');
  const parts: string[] = [];
  for (const engine of [...engineNames].sort()) {
    digest.update(`engine\0${engine}\0`);
    if (engine === 'builtin') {
      const userDir = userSignatureDir(dataDir);
      const dirs = [shippedSignatureDir(), ...(existsSync(userDir) ? [userDir] : []), ...config.scan.signatureDirs];
      let files = 0;
      for (const [index, dir] of dirs.entries()) {
        for (const name of listFiles(dir)) {
          digest.update(`file\0${index}\0${name}\0`).update(readFileSync(join(dir, name)));
          files++;
        }
      }
      parts.push(`builtin: ${files} signature files`);
    } else {
      const version = await clamdVersion(config);
      digest.update(`clamd\0${version}\0`);
      parts.push(`clamd: ${version}`);
    }
  }
  return { version: digest.digest('hex').slice(0, 16), description: parts.join('; ') };
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isFile())
    .sort();
}

async function clamdVersion(config: Config): Promise<string> {
  const { address, timeoutSeconds } = config.scan.clamd;
  const engine = createClamdEngine({ address: parseClamdAddress(address), timeoutMs: timeoutSeconds * 1000 });
  try {
    return await engine.version();
  } catch (error) {
    throw new UserError(`clamd at ${describeAddress(engine.address)} does not answer (${(error as Error).message}); start it or remove clamd from scan.engines`);
  } finally {
    await engine.close?.();
  }
}
