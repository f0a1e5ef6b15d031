import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

const DATA_DIR_ENV = 'INBOXGUARD_HOME';

/** The data dir: the --data-dir flag, else $INBOXGUARD_HOME, else ~/.inboxguard. Always absolute. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  const fromEnv = env[DATA_DIR_ENV];
  if (fromEnv) return resolve(fromEnv);
  return join(homedir(), '.inboxguard');
}
