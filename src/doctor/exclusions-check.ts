// Exclusions summary: which applications and addresses are not scanned (always ✓; it informs).
import { pass, type DoctorCheck } from './check.js';

export const exclusionsCheck: DoctorCheck = {
  id: 'exclusions',
  needsConfig: true,
  async run({ config }) {
    const { applications, ips } = config!.exclusions;
    const list = (items: string[]) => (items.length === 0 ? 'none' : items.join(', '));
    const off = config!.enabled ? '' : '; scanning is switched off for everyone (enabled: false)';
    return [pass('exclusions', `not scanned: applications ${list(applications)}; addresses ${list(ips)}${off}`)];
  },
};
