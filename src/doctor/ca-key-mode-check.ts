// CA key mode: the root CA's private key must be readable by its owner only (0600).
import { statSync } from 'node:fs';
import { caPaths } from '../ca/paths.js';
import { fail, pass, type DoctorCheck } from './check.js';

export const caKeyModeCheck: DoctorCheck = {
  id: 'ca-key-mode',
  needsConfig: false,
  async run({ dataDir }) {
    const { caKey } = caPaths(dataDir);
    let mode: number;
    try {
      mode = statSync(caKey).mode & 0o777;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return [fail('CA key', `${caKey} does not exist yet`, 'create the root CA: inboxguard ca init')];
      return [fail('CA key', `cannot read ${caKey}: ${code ?? (error as Error).message}`, `make ${caKey} readable by you`)];
    }
    const octal = mode.toString(8).padStart(4, '0');
    // Windows has no POSIX modes: node reports 0666 for every file, so the mode says nothing there.
    if (process.platform === 'win32') return [pass('CA key', `${caKey} exists (file modes are not checked on Windows)`)];
    if ((mode & 0o077) !== 0) return [fail('CA key', `${caKey} has mode ${octal}: other users can read the key that signs your mail certificates`, `chmod 600 ${caKey}`)];
    return [pass('CA key', `${caKey} has mode ${octal}`)];
  },
};
