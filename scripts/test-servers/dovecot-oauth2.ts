// OAuth2 logins (XOAUTH2, OAUTHBEARER) for the test Dovecot: its oauth2 passdb validates JWTs locally
// (introspection_mode = local) against an HS256 key kept in a throwaway directory, so tests can mint
// access tokens without an authorization server. Pass `extraConfig` to startDovecot.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DovecotOAuth2 {
  extraConfig: string;
  /** A signed access token for `user`, valid for `seconds` (negative: already expired). */
  token(user: string, seconds?: number): string;
  cleanup(): void;
}

export function dovecotOAuth2(): DovecotOAuth2 {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-oauth2-'));
  const key = randomBytes(32);
  const keyDir = join(dir, 'keys', 'default', 'HS256');
  mkdirSync(keyDir, { recursive: true });
  // Dovecot's auth process (user dovecot) reads the key and the settings.
  for (const path of [dir, join(dir, 'keys'), join(dir, 'keys', 'default'), keyDir]) chmodSync(path, 0o755);
  writeFileSync(join(keyDir, 'default'), key.toString('base64'), { mode: 0o644 });
  const settings = join(dir, 'oauth2.conf.ext');
  writeFileSync(settings, `introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix=${join(dir, 'keys')}/\nusername_attribute = sub\n`, { mode: 0o644 });
  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    extraConfig: `auth_mechanisms = plain login xoauth2 oauthbearer\npassdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = ${settings}\n}\n`,
    token(user, seconds = 3600) {
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ sub: user, iat: now - 60, nbf: now - 60, exp: now + seconds })}`;
      return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
