// `ca install | uninstall | status` against real NSS databases (made with certutil -N) in a temporary home with
// Thunderbird-, Firefox- and snap-shaped profiles.ini, and a temporary system store: the real
// update-ca-certificates run with every directory under a root prefix (its --certsconf, --certsdir,
// --localcertsdir, --etccertsdir, --hooksdir). The proof is a TLS client: NSS's tstclnt with a profile's
// database, and node:tls with the rebuilt system bundle, against a leaf the CA's LeafIssuer minted (as the proxy does).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { findCommand } from '../../scripts/test-servers/find-command.js';
import { LeafIssuer, loadCa } from '../../src/ca/index.js';
import { caTrustCheck } from '../../src/doctor/ca-trust-check.js';
import { runDoctor } from '../../src/doctor/run-doctor.js';
import { assertRefused, runCli, type CliResult } from '../helpers/cli.js';
import { requireAll, requireCommand } from '../helpers/require-servers.js';

// Debian/Ubuntu ship tstclnt in /usr/bin (libnss3-tools); older releases and Fedora keep it out of PATH.
const TSTCLNT_PLACES = ['tstclnt', '/usr/lib/nss/tstclnt', '/usr/lib64/nss/unsupported-tools/tstclnt', '/usr/lib/nss/unsupported-tools/tstclnt'];
const tstclnt = TSTCLNT_PLACES.map((place) => findCommand(place)).find(Boolean);
const skip = requireAll(
  requireCommand('certutil', 'libnss3-tools'),
  tstclnt ? false : requireCommand('tstclnt', 'libnss3-tools'),
  requireCommand('update-ca-certificates', 'ca-certificates'),
  requireCommand('openssl', 'openssl'),
);

const NICKNAME = 'inboxguard root CA';

describe('ca install / uninstall / status', { skip }, () => {
  let base: string;
  let dataDir: string;
  let home: string;
  let root: string;
  let scope: string[];
  let thunderbirdDb: string;
  let firefoxDb: string;
  let snapFirefoxDb: string;
  let sharedDb: string;
  let bundle: string;
  let foreignPem: string;
  let server: tls.Server;
  let port: number;

  const cli = (...args: string[]): Promise<CliResult> => runCli(['ca', ...args, ...scope], dataDir, 60_000);

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'inboxguard-trust-'));
    dataDir = join(base, 'data');
    home = join(base, 'home');
    root = join(base, 'root');
    scope = ['--home', home, '--root', root];
    assert.equal((await runCli(['ca', 'init'], dataDir)).code, 0);

    // Thunderbird: relative Path, as Thunderbird writes it.
    thunderbirdDb = nssProfile(join(home, '.thunderbird'), 'tb1.default-release');
    writeFileSync(join(home, '.thunderbird', 'profiles.ini'), '[Profile0]\nName=default-release\nIsRelative=1\nPath=tb1.default-release\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n');
    // Firefox: an [Install] section and a Profiles/ subdirectory.
    firefoxDb = nssProfile(join(home, '.mozilla', 'firefox', 'Profiles'), 'ff1.default-release');
    writeFileSync(join(home, '.mozilla', 'firefox', 'profiles.ini'), '[Install4F96D1932A9F858E]\nDefault=Profiles/ff1.default-release\nLocked=1\n\n[Profile0]\nName=default-release\nIsRelative=1\nPath=Profiles/ff1.default-release\nDefault=1\n');
    // Firefox as a snap, its profile named by absolute path.
    const snapDir = join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox');
    snapFirefoxDb = nssProfile(snapDir, 'snap1.default');
    writeFileSync(join(snapDir, 'profiles.ini'), `[Profile0]\nName=default\nIsRelative=0\nPath=${snapFirefoxDb}\n`);
    sharedDb = nssProfile(join(home, '.pki'), 'nssdb');

    // A foreign CA the user trusts: in Thunderbird's database and in the system store. Both must survive uninstall.
    foreignPem = selfSignedCaPem('a foreign root');
    const foreignFile = join(base, 'foreign.pem');
    writeFileSync(foreignFile, foreignPem);
    execFileSync('certutil', ['-A', '-d', `sql:${thunderbirdDb}`, '-n', 'foreign root', '-t', 'C,,', '-i', foreignFile]);
    for (const dir of ['usr/local/share/ca-certificates', 'usr/share/ca-certificates', 'etc/ssl/certs']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'etc/ca-certificates.conf'), '');
    writeFileSync(join(root, 'usr/local/share/ca-certificates/foreign.crt'), foreignPem);
    bundle = join(root, 'etc/ssl/certs/ca-certificates.crt');

    // The leaf the proxy would present for 127.0.0.1, minted by the same code from the same data dir.
    const ca = loadCa(dataDir);
    assert.ok(ca);
    const issuer = new LeafIssuer(ca, dataDir);
    const leaf = issuer.leafPemFor('127.0.0.1');
    server = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (socket) => {
      socket.on('error', () => {});
      socket.end('* OK inboxguard test greeting\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const doctorTrust = async () => {
    const report = await runDoctor({ dataDir, configPath: join(dataDir, 'config.yaml'), trustScope: { home, root } }, [caTrustCheck]);
    return report.checks.map((line) => `${line.ok ? '✓' : '✗'} ${line.title}${line.fix ? ` → ${line.fix}` : ''}`);
  };

  it('before install, doctor names each store that does not trust the root, with the command that fixes it', async () => {
    assert.deepEqual(await doctorTrust(), [
      '✗ root CA trusted by system → inboxguard ca install --only system',
      '✗ root CA trusted by thunderbird → inboxguard ca install --only thunderbird',
      '✗ root CA trusted by firefox → inboxguard ca install --only firefox',
      '✗ root CA trusted by firefox → inboxguard ca install --only firefox',
      '✗ root CA trusted by nssdb → inboxguard ca install --only nssdb',
    ]);
  });

  it('install trusts the root in every profile found through profiles.ini, ~/.pki/nssdb and the system store', async () => {
    const result = await cli('install');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.map((line) => line.replace(/ — .*/, '')), ['system: installed', 'thunderbird: installed', 'firefox: installed', 'firefox: installed', 'nssdb: installed']);
    for (const where of [thunderbirdDb, firefoxDb, snapFirefoxDb, sharedDb]) {
      assert.ok(lines.some((line) => line.includes(` — ${where}`)), `${where} in:\n${result.stdout}`);
      assert.deepEqual(nssRows(where).filter((row) => row.nickname === NICKNAME), [{ nickname: NICKNAME, trust: 'C,,' }]);
      assert.deepEqual(nssFingerprints(where, NICKNAME), [caFingerprint()]);
    }
    assert.equal(readFileSync(join(root, 'usr/local/share/ca-certificates/inboxguard-root-ca.crt'), 'utf8'), caPem());
    assert.equal(await handshakeWithBundle(), 'trusted');
  });

  it('status reports each store as trusted, also as JSON; --only picks targets', async () => {
    const text = await cli('status');
    assert.equal(text.code, 0);
    assert.deepEqual(text.stdout.trimEnd().split('\n').map((line) => line.replace(/ — .*/, '')), ['system: trusted', 'thunderbird: trusted', 'firefox: trusted', 'firefox: trusted', 'nssdb: trusted']);
    const json = JSON.parse((await cli('status', '--json', '--only', 'firefox,nssdb')).stdout) as Array<{ target: string; where: string; state: string }>;
    assert.deepEqual(json, [
      { target: 'firefox', where: firefoxDb, state: 'trusted' },
      { target: 'firefox', where: snapFirefoxDb, state: 'trusted' },
      { target: 'nssdb', where: sharedDb, state: 'trusted' },
    ]);
  });

  it('after install, doctor finds the root trusted in every store', async () => {
    assert.ok((await doctorTrust()).every((line) => line.startsWith('✓ root CA trusted by ')));
  });

  it('a second install says "already there" and changes nothing', async () => {
    const before = readFileSync(bundle, 'utf8');
    const result = await cli('install');
    assert.equal(result.code, 0);
    assert.deepEqual(result.stdout.trimEnd().split('\n').map((line) => line.replace(/ — .*/, '')), Array(5).fill('').map((_, i) => `${['system', 'thunderbird', 'firefox', 'firefox', 'nssdb'][i]}: already there`));
    assert.equal(readFileSync(bundle, 'utf8'), before);
    assert.equal(nssRows(thunderbirdDb).filter((row) => row.nickname === NICKNAME).length, 1);
  });

  it('NSS tstclnt with each profile\'s database accepts the leaf after install', async () => {
    for (const db of [thunderbirdDb, firefoxDb, snapFirefoxDb, sharedDb]) {
      const run = await runTstclnt(db);
      assert.equal(run.code, 0, `${db}: ${run.stderr}`);
      assert.match(run.stdout, /\* OK inboxguard test greeting/);
    }
  });

  it('uninstall removes ours and nothing else; tstclnt and the system bundle then reject the leaf', async () => {
    const result = await cli('uninstall');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(result.stdout.trimEnd().split('\n').map((line) => line.replace(/ — .*/, '')), ['system: removed', 'thunderbird: removed', 'firefox: removed', 'firefox: removed', 'nssdb: removed']);
    for (const where of [thunderbirdDb, firefoxDb, snapFirefoxDb, sharedDb]) assert.equal(nssRows(where).some((row) => row.nickname === NICKNAME), false);
    assert.deepEqual(nssRows(thunderbirdDb), [{ nickname: 'foreign root', trust: 'C,,' }]);
    assert.ok(bundleHolds(bundle, foreignPem), 'the foreign root stays in the system bundle');
    assert.equal(readFileSync(join(root, 'usr/local/share/ca-certificates/foreign.crt'), 'utf8'), foreignPem);

    for (const db of [thunderbirdDb, firefoxDb, snapFirefoxDb, sharedDb]) {
      const run = await runTstclnt(db);
      assert.notEqual(run.code, 0, db);
      assert.match(run.stderr, /SEC_ERROR_UNKNOWN_ISSUER/);
      assert.doesNotMatch(run.stdout, /inboxguard test greeting/);
    }
    assert.match(await handshakeWithBundle(), /^rejected: UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT_LOCALLY)/);

    const status = await cli('status');
    assert.deepEqual(status.stdout.trimEnd().split('\n').map((line) => line.replace(/ — .*/, '')), ['system: not trusted', 'thunderbird: not trusted', 'firefox: not trusted', 'firefox: not trusted', 'nssdb: not trusted']);
    const again = await cli('uninstall', '--only', 'thunderbird');
    assert.deepEqual(again.stdout.trimEnd().split('\n').map((line) => line.replace(/ — .*/, '')), ['thunderbird: not there']);
  });

  it('uninstall leaves a root a user imported under another nickname, and status still sees it', async () => {
    execFileSync('certutil', ['-A', '-d', `sql:${firefoxDb}`, '-n', 'imported by hand', '-t', 'C,,', '-i', join(dataDir, 'certs', 'ca.pem')]);
    const install = await cli('install', '--only', 'firefox');
    assert.match(install.stdout, new RegExp(`^firefox: already there — ${escape(firefoxDb)} \\(as "imported by hand"\\)$`, 'm'));
    const uninstall = await cli('uninstall', '--only', 'firefox');
    assert.match(uninstall.stdout, new RegExp(`^firefox: not there — ${escape(firefoxDb)}$`, 'm'));
    assert.deepEqual(nssRows(firefoxDb), [{ nickname: 'imported by hand', trust: 'C,,' }]);
    const status = await cli('status', '--only', 'firefox');
    assert.match(status.stdout, new RegExp(`^firefox: trusted — ${escape(firefoxDb)} \\(as "imported by hand"\\)$`, 'm'));
    execFileSync('certutil', ['-D', '-d', `sql:${firefoxDb}`, '-n', 'imported by hand']);
  });

  it('ca init --force warns where the old root is trusted, and install replaces it', async () => {
    assert.equal((await cli('install', '--only', 'thunderbird,system')).code, 0);
    const oldFingerprint = caFingerprint();
    const rotated = await cli('init', '--force');
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.notEqual(caFingerprint(), oldFingerprint);
    assert.match(rotated.stderr, /will reject the new one/);
    assert.match(rotated.stderr, new RegExp(`old root is trusted in thunderbird: ${escape(thunderbirdDb)}`));
    assert.match(rotated.stderr, /old root is trusted in system: /);
    assert.match(rotated.stderr, /Run: inboxguard ca install/);

    const status = await cli('status', '--only', 'thunderbird');
    assert.match(status.stdout, /^thunderbird: not trusted — .*an older inboxguard root/m);
    const install = await cli('install', '--only', 'thunderbird,system');
    assert.equal(install.code, 0, install.stdout);
    assert.match(install.stdout, /^system: installed, replacing an older inboxguard root/m);
    assert.match(install.stdout, /^thunderbird: installed, replacing an older inboxguard root/m);
    assert.deepEqual(nssFingerprints(thunderbirdDb, NICKNAME), [caFingerprint()]);
    assert.equal(nssRows(thunderbirdDb).some((row) => row.nickname === 'foreign root'), true);
    assert.equal(bundleHolds(bundle, caPem()), true);
    assert.equal(await cli('uninstall').then((r) => r.code), 0);
  });

  it('without root the system store says so in one line with the sudo command, and the rest still runs', { skip: asNobodySkip() }, async () => {
    const nobodyBase = mkdtempSync(join(tmpdir(), 'inboxguard-trust-nobody-'));
    try {
      const nobodyData = join(nobodyBase, 'data');
      const nobodyHome = join(nobodyBase, 'home');
      assert.equal((await runCli(['ca', 'init'], nobodyData)).code, 0);
      nssProfile(join(nobodyHome, '.pki'), 'nssdb');
      execFileSync('chown', ['-R', '65534:65534', nobodyData, nobodyHome]);
      execFileSync('chmod', ['755', nobodyBase, base]);
      // The system store under `root` stays root's (0755), as /usr/local/share/ca-certificates is.
      const result = await runAsNobody(['ca', 'install', '--home', nobodyHome, '--root', root], nobodyData);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const lines = result.stdout.trimEnd().split('\n');
      assert.equal(lines[0], `system: failed — ${join(root, 'usr/local/share/ca-certificates/inboxguard-root-ca.crt')} (needs root: run sudo inboxguard --data-dir ${nobodyData} ca install --only system --root ${root})`);
      assert.match(result.stdout, /^nssdb: installed — /m);
      assert.equal(result.stderr, '');
    } finally {
      rmSync(nobodyBase, { recursive: true, force: true });
    }
  });

  it('a database with a primary password fails with the reason and keeps no untrusted copy', async () => {
    const lockedHome = join(base, 'locked-home');
    const db = join(lockedHome, '.pki', 'nssdb');
    mkdirSync(db, { recursive: true });
    writeFileSync(join(base, 'nss-password'), 'secret\n');
    execFileSync('certutil', ['-N', '-d', `sql:${db}`, '-f', join(base, 'nss-password')]);
    const result = await runCli(['ca', 'install', '--only', 'nssdb', '--home', lockedHome], dataDir, 60_000);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, `nssdb: failed — ${db} (the database has a primary password, so certutil cannot set trust without it; import the certificate in the application (see README) or remove the password)\n`);
    assert.deepEqual(nssRows(db), []);
  });

  it('--only with an unknown target is refused in one line', async () => {
    assertRefused(await cli('install', '--only', 'thunderbird,chrome'), /--only takes system,thunderbird,firefox,nssdb/);
  });

  function caPem(): string {
    return readFileSync(join(dataDir, 'certs', 'ca.pem'), 'utf8');
  }

  function caFingerprint(): string {
    return new X509Certificate(caPem()).fingerprint256;
  }

  function runTstclnt(db: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(tstclnt!, ['-h', '127.0.0.1', '-p', String(port), '-d', `sql:${db}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** node:tls with only the rebuilt system bundle as its trust anchors (what OpenSSL programs read): 'trusted' or why not. */
  function handshakeWithBundle(): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(bundle, 'utf8'), rejectUnauthorized: false }, () => {
        socket.destroy();
        resolve(socket.authorized ? 'trusted' : `rejected: ${String(socket.authorizationError)}`);
      });
      socket.on('error', reject);
    });
  }
});

/** Running the CLI as user nobody needs root (to switch) and util-linux's setpriv. */
function asNobodySkip(): string | false {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'running as user nobody needs root';
  return requireCommand('setpriv', 'util-linux');
}

/** The CLI from source as uid/gid 65534, so writing the system store is denied as for an ordinary user. */
function runAsNobody(args: string[], dataDir: string): Promise<CliResult> {
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', main, ...args], {
      env: { ...process.env, INBOXGUARD_HOME: dataDir, HOME: dirname(dataDir) },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A profile directory with an empty-password NSS database, as a first start of Thunderbird or Firefox leaves it. */
function nssProfile(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  execFileSync('certutil', ['-N', '--empty-password', '-d', `sql:${dir}`]);
  return dir;
}

function nssRows(db: string): Array<{ nickname: string; trust: string }> {
  return execFileSync('certutil', ['-L', '-d', `sql:${db}`], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^(\S.*?)\s+([A-Za-z]*,[A-Za-z]*,[A-Za-z]*)\s*$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ nickname: match[1]!, trust: match[2]! }));
}

function nssFingerprints(db: string, nickname: string): string[] {
  const pem = execFileSync('certutil', ['-L', '-d', `sql:${db}`, '-n', nickname, '-a'], { encoding: 'utf8' });
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block).fingerprint256);
}

function bundleHolds(bundle: string, pem: string): boolean {
  const flat = (text: string) => text.replace(/-----[A-Z ]+-----|\s+/g, '');
  return flat(readFileSync(bundle, 'utf8')).includes(flat(pem));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function selfSignedCaPem(commonName: string): string {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  const name = [{ name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, critical: true }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
