import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findProfiles, findSharedNssDbs, nssFormat } from '../../../../src/ca/trust/nss-locations.js';
import { parseProfilesIni, profileDirectories } from '../../../../src/ca/trust/profiles-ini.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';

const temps: string[] = [];
after(() => temps.forEach(removeTempDir));
function tempHome(): string {
  const dir = makeTempDir();
  temps.push(dir);
  return dir;
}

// As Firefox 120 writes it: an [Install…] section repeating the default, a relative and an absolute profile.
const FIREFOX_INI = [
  '[Install4F96D1932A9F858E]',
  'Default=Profiles/abcd1234.default-release',
  'Locked=1',
  '',
  '[Profile1]',
  'Name=default',
  'IsRelative=1',
  'Path=Profiles/wxyz5678.default',
  'Default=1',
  '',
  '[Profile0]',
  'Name=default-release',
  'IsRelative=1',
  'Path=Profiles/abcd1234.default-release',
  '',
  '[Profile2]',
  'Name=elsewhere',
  'IsRelative=0',
  'Path=/data/profiles/elsewhere',
  '',
  '[General]',
  'StartWithLastProfile=1',
  'Version=2',
  '',
].join('\r\n');

describe('profiles.ini', () => {
  it('lists only [ProfileN] sections, relative and absolute, in file order', () => {
    assert.deepEqual(parseProfilesIni(FIREFOX_INI), [
      { name: 'default', path: 'Profiles/wxyz5678.default', isRelative: true },
      { name: 'default-release', path: 'Profiles/abcd1234.default-release', isRelative: true },
      { name: 'elsewhere', path: '/data/profiles/elsewhere', isRelative: false },
    ]);
  });

  it('resolves relative paths against the ini directory and keeps absolute ones', () => {
    assert.deepEqual(profileDirectories('/home/u/.mozilla/firefox/profiles.ini', FIREFOX_INI), [
      '/home/u/.mozilla/firefox/Profiles/wxyz5678.default',
      '/home/u/.mozilla/firefox/Profiles/abcd1234.default-release',
      '/data/profiles/elsewhere',
    ]);
  });

  it('reads a Thunderbird file with a BOM, comments, spaces around "=" and a missing IsRelative', () => {
    const text = '\uFEFF; written by hand\n[General]\nStartWithLastProfile=1\n\n[Profile0]\nName = default\nIsRelative = 1\nPath = x1y2.default\n\n[Profile1]\nPath=/srv/tb\n[Profile2]\nPath=rel.noflag\n[Profile3]\nName=no path\n';
    assert.deepEqual(parseProfilesIni(text), [
      { name: 'default', path: 'x1y2.default', isRelative: true },
      { name: undefined, path: '/srv/tb', isRelative: false },
      { name: undefined, path: 'rel.noflag', isRelative: true },
    ]);
  });

  it('finds profiles of the normal, snap and flatpak installs, each real directory once', () => {
    const home = tempHome();
    const normal = join(home, '.thunderbird');
    const snap = join(home, 'snap', 'thunderbird', 'common', '.thunderbird');
    const flatpak = join(home, '.var', 'app', 'org.mozilla.Thunderbird', '.thunderbird');
    for (const dir of [normal, snap, flatpak]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(normal, 'profiles.ini'), '[Profile0]\nIsRelative=1\nPath=a.default\n');
    // The snap's ini names the normal profile by absolute path: listed once.
    writeFileSync(join(snap, 'profiles.ini'), `[Profile0]\nIsRelative=1\nPath=b.default\n[Profile1]\nIsRelative=0\nPath=${join(normal, 'a.default')}\n`);
    writeFileSync(join(flatpak, 'profiles.ini'), '[Profile0]\nIsRelative=1\nPath=c.default\n');
    mkdirSync(join(normal, 'a.default'));

    const found = findProfiles('thunderbird', home, 'linux');
    assert.deepEqual(found.iniFiles, [join(normal, 'profiles.ini'), join(snap, 'profiles.ini'), join(flatpak, 'profiles.ini')]);
    assert.deepEqual(found.profiles, [join(normal, 'a.default'), join(snap, 'b.default'), join(flatpak, 'c.default')]);
    assert.equal(findProfiles('firefox', home, 'linux').iniFiles.length, 0);
    assert.ok(findProfiles('firefox', home, 'linux').searched.includes(join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox', 'profiles.ini')));
  });

  it('looks where macOS and Windows keep profiles', () => {
    const home = '/nonexistent-home';
    assert.deepEqual(findProfiles('thunderbird', home, 'darwin').searched, [join(home, 'Library', 'Thunderbird', 'profiles.ini')]);
    assert.deepEqual(findProfiles('firefox', home, 'win32').searched, [join(home, 'AppData', 'Roaming', 'Mozilla', 'Firefox', 'profiles.ini')]);
  });

  it('tells sql from dbm databases and finds ~/.pki/nssdb only when it holds one', () => {
    const home = tempHome();
    const nssdb = join(home, '.pki', 'nssdb');
    mkdirSync(nssdb, { recursive: true });
    assert.equal(nssFormat(nssdb), null);
    assert.deepEqual(findSharedNssDbs(home).dbs, []);
    writeFileSync(join(nssdb, 'cert8.db'), '');
    assert.equal(nssFormat(nssdb), 'dbm');
    writeFileSync(join(nssdb, 'cert9.db'), '');
    assert.equal(nssFormat(nssdb), 'sql');
    assert.deepEqual(findSharedNssDbs(home).dbs, [nssdb]);
  });
});
