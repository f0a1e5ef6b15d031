// Configuration valid: the file parses and validates; a problem is shown as the loader words it (FILE:LINE).
import { existsSync } from 'node:fs';
import { readConfigOrDefaults } from '../config/store.js';
import { UserError } from '../user-error.js';
import { fail, pass, type DoctorCheck } from './check.js';

export const configCheck: DoctorCheck = {
  id: 'config',
  needsConfig: false,
  async run(context) {
    try {
      context.config = readConfigOrDefaults(context.configPath);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      return [fail('configuration', error.message, `correct ${context.configPath} at the line named`)];
    }
    const where = existsSync(context.configPath) ? context.configPath : `${context.configPath} (absent: defaults)`;
    if (context.config.listeners.length === 0) {
      return [fail('configuration', `${where} is valid but has no listeners`, 'add one: inboxguard listeners add --name NAME --upstream HOST:PORT')];
    }
    return [pass('configuration', `${where} is valid, ${context.config.listeners.length} listener(s)`)];
  },
};
