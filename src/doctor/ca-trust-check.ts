// The root CA trusted where mail clients look for it: one line per trust store `ca install` knows
// (system store, each Thunderbird and Firefox profile, ~/.pki/nssdb). A store that exists without the
// root is a ✗ with the command that fixes it; a kind of store this machine does not have is a ✓ note.
import { trustStatus } from '../ca/trust/status.js';
import { fail, pass, type CheckOutcome, type DoctorCheck } from './check.js';

export const caTrustCheck: DoctorCheck = {
  id: 'ca-trust',
  needsConfig: false,
  async run({ dataDir, trustScope }) {
    let lines;
    try {
      lines = await trustStatus({ dataDir, ...trustScope });
    } catch (error) {
      return [fail('root CA trust', (error as Error).message, 'create the root CA: inboxguard ca init')];
    }
    return lines.map((line): CheckOutcome => {
      const title = `root CA trusted by ${line.target}`;
      switch (line.state) {
        case 'trusted':
          return pass(title, line.where);
        case 'not-found':
          return pass(title, `no ${line.target} store here (${line.where})`);
        case 'absent':
          return fail(title, `not trusted in ${line.where}`, `inboxguard ca install --only ${line.target}`);
        case 'error':
          return fail(title, `${line.where}: ${line.detail ?? 'cannot be read'}`, `inboxguard ca status --only ${line.target} shows the details`);
      }
    });
  },
};
