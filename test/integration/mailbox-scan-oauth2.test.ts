// inboxguard mailbox scan logs in with an OAuth2 access token (--oauth2-token-file) against a real
// Dovecot that validates the token itself; a token it refuses is one line and exit 2.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dovecotOAuth2, type DovecotOAuth2 } from '../../scripts/test-servers/dovecot-oauth2.js';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { assertRefused, runCli } from '../helpers/cli.js';
import { dataDir, parseSummary, removeDataDirs } from '../helpers/mailbox-scan-fixtures.js';
import { mixedMailbox } from '../helpers/messages.js';
import { requireDovecot } from '../helpers/require-servers.js';

const skip = requireDovecot();

describe('inboxguard mailbox scan with an OAuth2 access token', { skip }, () => {
  let server: DovecotServer;
  let oauth2: DovecotOAuth2;

  before(async () => {
    oauth2 = dovecotOAuth2();
    server = await startDovecot({ users: [{ name: 'tokenuser', password: 'unused-password' }], extraConfig: oauth2.extraConfig, messages: { tokenuser: mixedMailbox(5, 21) } });
  });

  after(async () => {
    await server?.stop();
    removeDataDirs();
    oauth2?.cleanup();
  });

  const scan = (home: string, token: string) => {
    const tokenFile = join(home, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const env = { ...process.env };
    delete env.INBOXGUARD_PASSWORD;
    return runCli(['mailbox', 'scan', '--upstream', `${server.host}:${server.ports.imaps}`, '--upstream-ca', server.caPath, '--user', 'tokenuser', '--oauth2-token-file', tokenFile, '--json'], home);
  };

  it('logs in with the token from --oauth2-token-file and scans', async () => {
    const home = dataDir();
    const result = await scan(home, oauth2.token('tokenuser'));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parseSummary(result).total.scanned, 5);
    assert.match(readFileSync(server.logPath, 'utf8'), /Login: user=<tokenuser>, method=(OAUTHBEARER|XOAUTH2),/);
  });

  it('an expired token is refused in one line, exit 2', async () => {
    const result = await scan(dataDir(), oauth2.token('tokenuser', -600));
    assertRefused(result, /refused the login of "tokenuser".*check the user name and the access token/);
  });
});
