import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { macosArgv, parseFindCertificateHashes } from '../../../../src/ca/trust/macos-keychain.js';
import { parseCertutilList, trustsTlsServers } from '../../../../src/ca/trust/nss-database.js';
import type { RootIdentity } from '../../../../src/ca/trust/root-identity.js';
import { debianUpdateArgv, detectSystemFlavour } from '../../../../src/ca/trust/system-store.js';
import { platformKinds } from '../../../../src/ca/trust/targets.js';
import { windowsArgv } from '../../../../src/ca/trust/windows-store.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';

const temps: string[] = [];
after(() => temps.forEach(removeTempDir));

const root: RootIdentity = {
  nickname: 'inboxguard root CA',
  certPem: '(not read)',
  certPath: '/home/u/.inboxguard/certs/ca.pem',
  der: Buffer.alloc(0),
  sha256: 'AB'.repeat(32),
  sha1: 'CD'.repeat(20),
};

describe('trust store commands', () => {
  it('macOS: the login keychain, trusted as root for SSL; found and deleted by SHA-1 and name', () => {
    const keychain = '/Users/u/Library/Keychains/login.keychain-db';
    assert.deepEqual(macosArgv.install(root, keychain), ['security', 'add-trusted-cert', '-r', 'trustRoot', '-p', 'ssl', '-k', keychain, root.certPath]);
    assert.deepEqual(macosArgv.find(root, keychain), ['security', 'find-certificate', '-a', '-Z', '-c', 'inboxguard root CA', keychain]);
    assert.deepEqual(macosArgv.verify(root), ['security', 'verify-cert', '-c', root.certPath, '-p', 'ssl', '-L']);
    assert.deepEqual(macosArgv.uninstall(root, keychain), ['security', 'delete-certificate', '-t', '-Z', root.sha1, keychain]);
  });

  it('macOS: reads the SHA-256 hashes of find-certificate -Z', () => {
    const output = `SHA-256 hash: ${'ab'.repeat(32)}\nSHA-1 hash: ${'CD'.repeat(20)}\nkeychain: "/Users/u/Library/Keychains/login.keychain-db"\nSHA-256 hash: ${'01'.repeat(32)}\n`;
    assert.deepEqual(parseFindCertificateHashes(output), ['AB'.repeat(32), '01'.repeat(32)]);
  });

  it('Windows: the current user\'s Root store, the certificate named by its SHA-1 thumbprint', () => {
    assert.deepEqual(windowsArgv.install(root), ['certutil', '-user', '-addstore', 'Root', root.certPath]);
    assert.deepEqual(windowsArgv.find(root), ['certutil', '-user', '-store', 'Root', root.sha1]);
    assert.deepEqual(windowsArgv.uninstall(root), ['certutil', '-user', '-delstore', 'Root', root.sha1]);
  });

  it('each platform has its kinds of targets', () => {
    assert.deepEqual(platformKinds('linux'), ['system', 'thunderbird', 'firefox', 'nssdb']);
    assert.deepEqual(platformKinds('darwin'), ['system', 'thunderbird', 'firefox']);
    assert.deepEqual(platformKinds('win32'), ['system']);
  });

  it('Debian: update-ca-certificates as is, or with every directory under a root prefix; --fresh after a removal', () => {
    assert.deepEqual(debianUpdateArgv(null, false), ['update-ca-certificates']);
    assert.deepEqual(debianUpdateArgv(null, true), ['update-ca-certificates', '--fresh']);
    assert.deepEqual(debianUpdateArgv('/tmp/r', false), [
      'update-ca-certificates',
      '--certsconf', '/tmp/r/etc/ca-certificates.conf',
      '--certsdir', '/tmp/r/usr/share/ca-certificates',
      '--localcertsdir', '/tmp/r/usr/local/share/ca-certificates',
      '--etccertsdir', '/tmp/r/etc/ssl/certs',
      '--hooksdir', '/tmp/r/etc/ca-certificates/update.d',
    ]);
  });

  it('detects the system store family from the anchor directories under the root', () => {
    const make = (dir: string) => {
      const prefix = makeTempDir();
      temps.push(prefix);
      mkdirSync(join(prefix, dir), { recursive: true });
      return prefix;
    };
    const fedora = make('etc/pki/ca-trust/source/anchors');
    const debian = make('usr/local/share/ca-certificates');
    const arch = make('etc/ca-certificates/trust-source/anchors');
    const none = make('etc');

    const onFedora = detectSystemFlavour(fedora);
    assert.equal(onFedora?.name, 'fedora');
    assert.equal(onFedora?.anchorFile, join(fedora, 'etc/pki/ca-trust/source/anchors/inboxguard-root-ca.pem'));
    assert.deepEqual(onFedora?.updateArgv(false), { unsupported: 'update-ca-trust cannot work under a root prefix' });
    const onDebian = detectSystemFlavour(debian);
    assert.equal(onDebian?.anchorFile, join(debian, 'usr/local/share/ca-certificates/inboxguard-root-ca.crt'));
    assert.equal(onDebian?.bundle, join(debian, 'etc/ssl/certs/ca-certificates.crt'));
    assert.deepEqual(onDebian?.updateArgv(true), debianUpdateArgv(debian, true));
    assert.equal(detectSystemFlavour(arch)?.anchorFile, join(arch, 'etc/ca-certificates/trust-source/anchors/inboxguard-root-ca.crt'));
    assert.equal(detectSystemFlavour(none), null);
  });

  it('NSS: reads certutil -L rows and the TLS server trust flag', () => {
    const listing = [
      '',
      'Certificate Nickname                                         Trust Attributes',
      '                                                             SSL,S/MIME,JAR/XPI',
      '',
      'inboxguard root CA                                           C,,  ',
      'foreign root                                                 CT,C,C',
      'my key                                                       u,u,u',
      'distrusted                                                   ,,',
    ].join('\n');
    assert.deepEqual(parseCertutilList(listing), [
      { nickname: 'inboxguard root CA', trust: 'C,,' },
      { nickname: 'foreign root', trust: 'CT,C,C' },
      { nickname: 'my key', trust: 'u,u,u' },
      { nickname: 'distrusted', trust: ',,' },
    ]);
    assert.equal(trustsTlsServers('C,,'), true);
    assert.equal(trustsTlsServers('CT,C,C'), true);
    assert.equal(trustsTlsServers(',C,'), false);
    assert.equal(trustsTlsServers('u,u,u'), false);
  });
});
