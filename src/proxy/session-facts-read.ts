// What one session of an account scanned and decided is shared with the account's other sessions
// (AccountScannedCopies) only while no transport rule tests a fact that differs between them: the
// listener, the client application, the server's address. Asked at start and on each reload.
import type { Config } from '../config/schema.js';
import { transportRulesRead } from './transport-rules-read.js';

const PER_SESSION_FIELDS = ['listener', 'application', 'upstream-ip'];

export function sessionFactsRead(config: Pick<Config, 'rules'>): boolean {
  return transportRulesRead(config, PER_SESSION_FIELDS);
}
