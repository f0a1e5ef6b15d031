// Configuration valid: the file parses and validates; a problem is shown as the loader words it (FILE:LINE).
import { existsSync, statSync } from 'node:fs';
import { readConfigOrDefaults } from '../config/store.js';
import { UserError } from '../user-error.js';
import { fail, pass, type DoctorCheck } from './check.js';

export const configCheck: DoctorCheck = {
  id: 'config',
  needsConfig: false,
  async run(context) {
    let config;
    try {
      config = readConfigOrDefaults(context.configPath);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      return [fail('configuration', error.message, `correct ${context.configPath} at the line named`)];
    }
    // The proxy refuses to start without them, so the checks that read the configuration do not run either.
    const missing = config.scan.signatureDirs.find((dir) => !isDirectory(dir));
    if (missing !== undefined) {
      return [fail('configuration', `scan.signatureDirs: ${missing} does not exist or is not a directory`, `create it, or remove it from scan.signatureDirs in ${context.configPath}`)];
    }
    context.config = config;
    const where = existsSync(context.configPath) ? context.configPath : `${context.configPath} (absent: defaults)`;
    if (context.config.listeners.length === 0) {
      return [fail('configuration', `${where} is valid but has no listeners`, 'add one: inboxguard listeners add --name NAME --upstream HOST:PORT')];
    }
    return [pass('configuration', `${where} is valid, ${context.config.listeners.length} listener(s)`)];
  },
};

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
