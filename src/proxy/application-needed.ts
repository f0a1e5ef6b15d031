// The client-program lookup reads /proc (or runs lsof/netstat) per connection, so it runs only when
// its answer can change something: an application exclusion is configured, or a transport rule
// tests the `application` field. Decided once per configuration object (a reload makes a new one).
import type { Config } from '../config/schema.js';
import { transportRulesRead } from './transport-rules-read.js';

const decided = new WeakMap<object, boolean>();

export function needsClientApplication(config: Pick<Config, 'exclusions' | 'rules'>): boolean {
  let needed = decided.get(config);
  if (needed === undefined) {
    needed = config.exclusions.applications.length > 0 || transportRulesRead(config, ['application']);
    decided.set(config, needed);
  }
  return needed;
}
