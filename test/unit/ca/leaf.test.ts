import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkServerIdentity, connect, TLSSocket, type PeerCertificate } from 'node:tls';
import forge from 'node-forge';
import { CaError } from '../../../src/ca/ca-error.js';
import { LeafIssuer } from '../../../src/ca/leaf.js';
import type { LoadedCa } from '../../../src/ca/loaded-ca.js';
import { caPaths } from '../../../src/ca/paths.js';
import { initCa, loadCa } from '../../../src/ca/root.js';
import { duplexPair } from './duplex-pair.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

const dirs: string[] = [];
let dataDir: string;
let ca: LoadedCa;
let issuer: LeafIssuer;

function leafFor(name: string, from: LeafIssuer = issuer): X509Certificate {
  return new X509Certificate(from.leafPemFor(name).certPem);
}

/** A copy of the shared data dir (CA, leaf key, cached leaves) to change without disturbing other tests. */
function copyOfDataDir(): string {
  const copy = makeTempDir();
  dirs.push(copy);
  cpSync(caPaths(dataDir).certsDir, caPaths(copy).certsDir, { recursive: true });
  return copy;
}

before(async () => {
  dataDir = makeTempDir();
  dirs.push(dataDir);
  ca = (await initCa(dataDir, {})).ca;
  issuer = new LeafIssuer(ca, dataDir);
});

after(() => dirs.forEach(removeTempDir));

describe('leaf certificates', () => {
  it('are issued by the root for a DNS name', () => {
    const leaf = leafFor('mail.example.com');
    assert.equal(leaf.subjectAltName, 'DNS:mail.example.com');
    assert.equal(leaf.subject, 'CN=mail.example.com');
    assert.equal(leaf.issuer, ca.x509.subject);
    assert.equal(leaf.checkIssued(ca.x509), true);
    assert.equal(leaf.verify(ca.x509.publicKey), true);
    assert.equal(leaf.checkHost('mail.example.com'), 'mail.example.com');
    assert.equal(leaf.checkHost('other.example.com'), undefined);
    assert.equal(leaf.ca, false);
    assert.deepEqual(leaf.keyUsage, [SERVER_AUTH]);
  });

  it('carry the expected extensions', () => {
    const leaf = forge.pki.certificateFromPem(issuer.leafPemFor('mail.example.com').certPem);
    const basicConstraints = leaf.getExtension('basicConstraints') as { cA?: boolean; critical?: boolean };
    assert.equal(basicConstraints.cA, false);
    const keyUsage = leaf.getExtension('keyUsage') as Record<string, boolean | undefined>;
    assert.equal(keyUsage.digitalSignature, true);
    assert.equal(keyUsage.keyEncipherment, true);
    assert.equal(keyUsage.keyCertSign, false);
    assert.equal(leaf.siginfo.algorithmOid, forge.pki.oids.sha256WithRSAEncryption);

    const rootKeyId = (ca.certificate.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier: string })
      .subjectKeyIdentifier;
    const authorityKeyId = leaf.getExtension('authorityKeyIdentifier') as { value: string };
    const [keyIdentifier] = forge.asn1.fromDer(authorityKeyId.value).value as forge.asn1.Asn1[];
    assert.equal(forge.util.bytesToHex(keyIdentifier.value as string), rootKeyId);
  });

  it('are valid from a little in the past for at most 397 days', () => {
    const leaf = leafFor('mail.example.com');
    const notBefore = new Date(leaf.validFrom).getTime();
    const notAfter = new Date(leaf.validTo).getTime();
    assert.ok(notBefore < Date.now() - 30 * 60 * 1000);
    assert.ok(notAfter - notBefore <= 397 * DAY_MS);
    assert.ok(notAfter - Date.now() > 390 * DAY_MS);
  });

  it('cover IPv4 and IPv6 addresses with IP SANs', () => {
    const v4 = leafFor('127.0.0.1');
    assert.equal(v4.subjectAltName, 'IP Address:127.0.0.1');
    assert.equal(v4.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(v4.checkHost('localhost'), undefined);
    assert.equal(v4.checkIssued(ca.x509), true);

    const v6 = leafFor('::1');
    assert.match(v6.subjectAltName ?? '', /^IP Address:0:0:0:0:0:0:0:1$/);
    assert.equal(v6.checkIP('::1'), '::1');
    assert.equal(v6.verify(ca.x509.publicKey), true);
  });

  it('keep the full name in the SAN when it is too long for the CN', () => {
    const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    const leaf = leafFor(longest);
    assert.equal(leaf.subjectAltName, `DNS:${longest}`);
    assert.equal(leaf.subject, `CN=${longest.slice(0, 64)}`);
    assert.equal(leaf.checkHost(longest), longest);
  });

  it('treat spellings of one name as one leaf', () => {
    assert.equal(leafFor('LOCALHOST').serialNumber, leafFor('localhost').serialNumber);
    assert.equal(leafFor('0:0:0:0:0:0:0:1').serialNumber, leafFor('::1').serialNumber);
    assert.equal(leafFor('::ffff:127.0.0.1').serialNumber, leafFor('127.0.0.1').serialNumber);
  });

  it('have distinct random serials', () => {
    const one = leafFor('one.example').serialNumber;
    const two = leafFor('two.example').serialNumber;
    assert.notEqual(one, two);
    assert.match(one, /^[0-9A-F]{32}$/);
  });

  it('share one 0600 leaf key', () => {
    const keyPath = caPaths(dataDir).leafKey;
    if (process.platform !== 'win32') assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    const keyPem = readFileSync(keyPath, 'utf8');
    assert.equal(issuer.leafPemFor('one.example').keyPem, keyPem);
    assert.equal(issuer.leafPemFor('127.0.0.1').keyPem, keyPem);
    assert.equal(leafFor('one.example').publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  });

  it('reject names that are neither host names nor IP addresses', () => {
    const before = readdirSync(caPaths(dataDir).leavesDir).sort();
    for (const name of ['../etc', 'a/b', '', 'x'.repeat(300), '*.example.com', '..', 'name\nwith-newline']) {
      assert.throws(() => issuer.secureContextFor(name), CaError, JSON.stringify(name));
      assert.throws(() => issuer.leafPemFor(name), /invalid server name/);
    }
    assert.deepEqual(readdirSync(caPaths(dataDir).leavesDir).sort(), before);
  });
});

describe('leaf disk cache', () => {
  it('stores leaves under safe file names in a 0700 directory', () => {
    issuer.leafPemFor('localhost');
    issuer.leafPemFor('::1');
    const { leavesDir } = caPaths(dataDir);
    const files = readdirSync(leavesDir);
    assert.ok(files.includes('dns_localhost.pem'), files.join());
    assert.ok(files.includes('ip6_--1.pem'), files.join());
    assert.ok(files.includes('ip4_127.0.0.1.pem'), files.join());
    if (process.platform !== 'win32') assert.equal(statSync(leavesDir).mode & 0o777, 0o700);
  });

  it('lets a new issuer reuse the leaves of the last one', () => {
    const first = leafFor('localhost');
    const fresh = new LeafIssuer(ca, dataDir);
    assert.equal(leafFor('localhost', fresh).serialNumber, first.serialNumber);
    assert.equal(leafFor('::1', fresh).serialNumber, leafFor('::1').serialNumber);
  });

  it('replaces a corrupt cached leaf', () => {
    const path = join(caPaths(dataDir).leavesDir, 'dns_corrupt.example.pem');
    writeFileSync(path, '-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n');
    const leaf = leafFor('corrupt.example', new LeafIssuer(ca, dataDir));
    assert.equal(leaf.checkIssued(ca.x509), true);
    assert.equal(new X509Certificate(readFileSync(path)).serialNumber, leaf.serialNumber);
  });

  it('replaces a cached leaf that expires within 30 days', () => {
    let now = new Date(Date.now() - 370 * DAY_MS);
    const clocked = new LeafIssuer(ca, dataDir, { now: () => now });
    const old = leafFor('soon.example', clocked);
    assert.ok(new Date(old.validTo).getTime() - Date.now() < 30 * DAY_MS);

    const renewed = leafFor('soon.example', new LeafIssuer(ca, dataDir));
    assert.notEqual(renewed.serialNumber, old.serialNumber);
    assert.ok(new Date(renewed.validTo).getTime() - Date.now() > 390 * DAY_MS);

    // The in-memory cache renews too, once its clock passes the renewal date.
    now = new Date(Date.now() - 370 * DAY_MS);
    const early = leafFor('later.example', clocked);
    assert.equal(leafFor('later.example', clocked).serialNumber, early.serialNumber);
    now = new Date();
    assert.notEqual(leafFor('later.example', clocked).serialNumber, early.serialNumber);
  });

  it('replaces leaves signed by another root', async () => {
    const otherDir = makeTempDir();
    dirs.push(otherDir);
    const other = (await initCa(otherDir, {})).ca;

    // Same leaf key and cached leaves as the shared dir, but the other root.
    const mixedDir = copyOfDataDir();
    copyFileSync(other.certPath, caPaths(mixedDir).caCert);
    copyFileSync(other.keyPath, caPaths(mixedDir).caKey);
    const mixedCa = loadCa(mixedDir);
    assert.ok(mixedCa);

    const leaf = leafFor('localhost', new LeafIssuer(mixedCa, mixedDir));
    assert.notEqual(leaf.serialNumber, leafFor('localhost').serialNumber);
    assert.equal(leaf.checkIssued(other.x509), true);
    assert.equal(leaf.verify(other.x509.publicKey), true);
    assert.equal(leaf.verify(ca.x509.publicKey), false);
  });

  it('replaces leaves made for another leaf key', () => {
    const dir = copyOfDataDir();
    rmSync(caPaths(dir).leafKey);
    const fresh = new LeafIssuer(ca, dir);
    const { certPem, keyPem } = fresh.leafPemFor('localhost');
    assert.ok(existsSync(caPaths(dir).leafKey));
    assert.notEqual(new X509Certificate(certPem).serialNumber, leafFor('localhost').serialNumber);
    assert.equal(new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem)), true);
  });
});

describe('TLS handshake with a leaf (in memory, no sockets)', () => {
  interface Handshake {
    authorized: boolean;
    authorizationError: string | undefined;
    peer: PeerCertificate;
    protocol: string | null;
    sniSeenByServer: string[];
  }

  /** Runs a TLS server end with the issuer's contexts against a client that trusts only the root. */
  function handshake(client: { servername?: string; checkAddress?: string }): Promise<Handshake> {
    const [serverEnd, clientEnd] = duplexPair();
    const sniSeenByServer: string[] = [];
    const server = new TLSSocket(serverEnd, {
      isServer: true,
      // Without SNI, the proxy presents the leaf for the listener's address.
      secureContext: issuer.secureContextFor('127.0.0.1'),
      SNICallback: (servername, callback) => {
        sniSeenByServer.push(servername);
        try {
          callback(null, issuer.secureContextFor(servername));
        } catch (error) {
          callback(error as Error, undefined);
        }
      },
    });
    const { checkAddress } = client;
    const socket = connect({
      socket: clientEnd,
      ca: ca.certPem,
      servername: client.servername,
      rejectUnauthorized: false,
      ...(checkAddress ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(checkAddress, cert) } : {}),
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      server.once('error', reject);
      socket.once('secureConnect', () => {
        resolve({
          authorized: socket.authorized,
          authorizationError: socket.authorizationError?.toString(),
          peer: socket.getPeerCertificate(),
          protocol: socket.getProtocol(),
          sniSeenByServer,
        });
        socket.destroy();
        server.destroy();
      });
    });
  }

  it('serves the leaf for the SNI name, trusted through the root', async () => {
    const result = await handshake({ servername: 'localhost' });
    assert.equal(result.authorizationError, undefined);
    assert.equal(result.authorized, true);
    assert.equal(result.peer.subject.CN, 'localhost');
    assert.deepEqual(result.sniSeenByServer, ['localhost']);
    assert.ok(result.protocol === 'TLSv1.2' || result.protocol === 'TLSv1.3', String(result.protocol));
  });

  it('serves the leaf for the listener address when the client sends no SNI', async () => {
    const result = await handshake({ checkAddress: '127.0.0.1' });
    assert.equal(result.authorizationError, undefined);
    assert.equal(result.authorized, true);
    assert.equal(result.peer.subjectaltname, 'IP Address:127.0.0.1');
    assert.deepEqual(result.sniSeenByServer, []);
  });

  it('fails identity checks for a name the leaf was not made for', async () => {
    const [serverEnd, clientEnd] = duplexPair();
    const server = new TLSSocket(serverEnd, { isServer: true, secureContext: issuer.secureContextFor('localhost') });
    const socket = connect({ socket: clientEnd, ca: ca.certPem, servername: 'imap.example.com' });
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
    assert.match(error.message, /imap\.example\.com/);
    socket.destroy();
    server.destroy();
  });
});
