// The root CA trusted where mail clients look for it: one line per trust store `ca install` knows
// (system store, each Thunderbird and Firefox profile, ~/.pki/nssdb). A store that exists without the
// root is a ✗ with the command that fixes it; a kind of store this machine does not have is a ✓ note.
import { readFileSync } from 'node:fs';
import { caPaths } from '../ca/paths.js';
import { rootIdentity } from '../ca/trust/root-identity.js';
import { trustStatus } from '../ca/trust/status.js';
import { fail, pass, type CheckOutcome, type DoctorCheck } from './check.js';

export const caTrustCheck: DoctorCheck = {
  id: 'ca-trust',
  needsConfig: false,
  async run({ dataDir, trustScope }) {
    // The certificate alone says what to look for; the key and its mode are the CA key check's.
    const certPath = caPaths(dataDir).caCert;
    let certPem: string;
    try {
      certPem = readFileSync(certPath, 'utf8');
    } catch {
      return [fail('root CA trust', `${certPath} does not exist yet`, 'create the root CA: inboxguard ca init')];
    }
    let identity;
    try {
      identity = rootIdentity({ certPem, certPath });
    } catch (error) {
      return [fail('root CA trust', `${certPath} is not a readable certificate: ${(error as Error).message}`, 'create a new root CA: inboxguard ca init --force')];
    }
    const lines = await trustStatus({ ca: identity, ...trustScope });
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
